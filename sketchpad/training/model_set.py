"""`sketchpad build-model-set`: one coherent set of models from a trained latent model and vocoder.

Everything downstream of the latent is rebuilt on it, so the set never mixes
latent spaces:

    <out>/<vocoder>            the mel vocoder (float16, with its default refinement)
    <out>/<name>               the latent model (float16), naming that vocoder;
                               its slider directions come from ``train-latent``
    <out>/<name>-retrieval     the retrieval index: every training one-shot encoded
    <out>/<name>-flow          the prompt generator, trained on that index

The library map and fine-tuning follow whichever sound model is picked, so they
need nothing here. Writing into ``models/`` makes the set the shipped one
(``DEFAULT_SOUND_MODEL`` names it).
"""

from __future__ import annotations

from pathlib import Path

from sketchpad.engine.mel_vae import FIT_LEARNING_RATE
from sketchpad.engine.model_files import read_model_folder, save_model_folder
from sketchpad.errors import SketchpadError
from sketchpad.training.train import stderr_log

FIT_MAX_SECONDS = 30.0
"""Sounds up to this long (one-shots, loops, excerpts) get the encode-time fit: about 2.2 ms
per step and second of mono audio on a 2-core CPU, so 20 steps on a 3-minute stereo song
would take about 16 s (:meth:`sketchpad.engine.model.SoundModel.fit_steps_for`)."""


def copy_as_half(source, target, *, prefix: str, updates: dict) -> Path:
    """Copy a model folder, casting the float tensors under ``prefix`` to float16 and
    merging ``updates`` into its config."""
    config, tensors = read_model_folder(source)
    tensors = {k: (v.half() if k.startswith(prefix) and v.is_floating_point() else v)
               for k, v in tensors.items()}
    return save_model_folder(target, {k: v for k, v in {**config, **updates}.items()
                                      if k != "format_version"}, tensors)


def build_model_set(*, latent_dir, vocoder_dir, data_dir, out_root, name: str, vocoder_name: str,
                    refine_iterations: int | None = None, refine_shape: float | None = None,
                    flow_steps: int = 6000, cpu_int8: bool = True, encode_fit_steps: int = 0,
                    log=stderr_log) -> dict[str, Path]:
    from sketchpad.engine.model import MEL_MODEL_KIND
    from sketchpad.training.build_index import build_retrieval_index
    from sketchpad.training.train_flow import train_flow

    latent_dir, out_root = Path(latent_dir), Path(out_root)
    latent_info, _ = read_model_folder(latent_dir)
    if latent_info.get("kind") != MEL_MODEL_KIND:
        raise SketchpadError(f"'{latent_dir}' is not a latent model over the mel ({MEL_MODEL_KIND}).")
    if not latent_info.get("directions"):
        raise SketchpadError(f"'{latent_dir}' has no slider directions: train it with train-latent.")
    # int8 linear layers for drafts on the CPU: about 1.6x faster (models/sketch-mel.md)
    voc_updates = {"name": vocoder_name, "cpu_int8": cpu_int8}
    if refine_iterations is not None:
        voc_updates["refine_iterations"] = int(refine_iterations)
    if refine_shape is not None:
        voc_updates["refine_shape"] = float(refine_shape)
    paths = {"vocoder": copy_as_half(vocoder_dir, out_root / vocoder_name, prefix="net.",
                                     updates=voc_updates)}
    log(f"vocoder written to {paths['vocoder']}")
    model_updates = {"name": name, "vocoder": vocoder_name, "cpu_int8": cpu_int8,
                     "encode_fit": {"steps": int(encode_fit_steps), "learning_rate": FIT_LEARNING_RATE,
                                    "max_seconds": FIT_MAX_SECONDS}}
    paths["model"] = copy_as_half(latent_dir, out_root / name, prefix="vae.", updates=model_updates)
    log(f"latent model written to {paths['model']}")
    paths["retrieval"] = build_retrieval_index(paths["model"], data_dir, out_root / f"{name}-retrieval",
                                               log=log)
    log(f"retrieval index written to {paths['retrieval']}")
    paths["flow"] = out_root / f"{name}-flow"
    train_flow(paths["retrieval"], paths["flow"], steps=flow_steps, log=log)
    return paths
