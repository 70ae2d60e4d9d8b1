"""Building the retrieval index that the prompt box's retrieval engine searches.

    python -m sketchpad.training.build_index --model MODEL_DIR --data DATA_DIR --out INDEX_DIR
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sketchpad.audio.io import load_audio
from sketchpad.engine.model import SoundModel
from sketchpad.engine.retrieval import build_index
from sketchpad.engine.text import TextEncoder
from sketchpad.training.dataset import Manifest


def build_retrieval_index(model_dir, data_dir, out_dir, log=print) -> Path:
    """Index the one-shots (notes and drums) of the training split of ``data_dir``."""
    model = SoundModel.load(model_dir)
    manifest = Manifest.load(data_dir)
    train_items, _ = manifest.split(0.05)
    items = [i for i in train_items if i.kind in ("note", "drum", "user")]
    log(f"indexing {len(items)} one-shots with {model.name}")
    index = build_index(model, TextEncoder(), items,
                        lambda item: load_audio(manifest.audio_path(item)).samples.mean(axis=1),
                        progress=lambda f: log(f"index {f * 100:5.1f}%"))
    return index.save(out_dir, sound_model=model.name,
                      extra_config={"dataset": str(Path(data_dir).name)})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    out = build_retrieval_index(args.model, args.data, args.out,
                                log=lambda line: print(line, file=sys.stderr, flush=True))
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
