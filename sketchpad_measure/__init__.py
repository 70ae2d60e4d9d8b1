"""Measurement beside the product: benchmarks, evaluations and soaks.

Nothing in ``sketchpad`` imports this package (a test enforces it); the
``sketchpad bench`` and ``sketchpad evaluate*`` commands load it on demand.
Its heavier dependencies are extras: ``pip install -e '.[eval]'`` (ViSQOL,
torchaudio's Griffin-Lim, the held-out soundfont renders), which
``bash packaging/setup.sh --test`` installs.

* ``bench``: what producers feel, as numbers (speed, stalls, memory, kit soak).
* ``window``: the same measured in the real Qt window (stalls, first audio, soak).
* ``quality``: sound quality against baselines (MR-STFT, ViSQOL, the prompt judge)
  and the held-out material it is measured on.
"""
