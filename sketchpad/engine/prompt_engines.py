"""The prompt engines the user can pick, loaded by name.

- ``generator``: the trained text-conditioned flow-matching model
  (:mod:`sketchpad.engine.flow`), stored as ``<sound model>-flow``.
- ``retrieval``: blends the latents of the training sounds whose captions
  match (:mod:`sketchpad.engine.retrieval`), stored as ``<sound model>-retrieval``.

Every engine has ``name``, ``model`` (the sound model it decodes with) and
``generate(prompt, count=, seed=, seconds=, pitch=)`` returning
:class:`sketchpad.engine.generated.GeneratedSound` objects, plus
``variations(sound, count=, seed=)`` for "more like this".
"""

from __future__ import annotations

from sketchpad.errors import SketchpadError

PROMPT_ENGINES = ("generator", "retrieval")
DEFAULT_PROMPT_ENGINE = "generator"


def load_prompt_engine(kind: str | None = None, model_name=None, device: str | None = None,
                       *, fallback: bool = False):
    """The engine ``kind`` (default :data:`DEFAULT_PROMPT_ENGINE`) for sound model ``model_name``.

    With ``fallback``, a sound model without a trained generator (a user's
    fine-tuned model) gets the retrieval engine instead of an error.
    """
    kind = kind or DEFAULT_PROMPT_ENGINE
    if kind == "generator":
        from sketchpad.engine.flow import flow_folder, load_flow_engine

        if flow_folder(model_name) is not None or not fallback:
            return load_flow_engine(model_name, device=device)
        kind = "retrieval"
    if kind == "retrieval":
        from sketchpad.engine.retrieval import load_retrieval_engine

        return load_retrieval_engine(model_name, device=device)
    raise SketchpadError(f"Unknown prompt engine '{kind}' (choose from {', '.join(PROMPT_ENGINES)}).")
