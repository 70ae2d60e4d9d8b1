"""The prompt engines the user can pick, loaded by name.

Every engine has ``name``, ``model`` (the sound model it decodes with) and
``generate(prompt, count=, seed=, seconds=, pitch=)`` returning
:class:`sketchpad.engine.retrieval.GeneratedSound` objects, plus
``variations(sound, count=, seed=)`` for "more like this".
"""

from __future__ import annotations

from sketchpad.errors import SketchpadError

PROMPT_ENGINES = ("retrieval",)
DEFAULT_PROMPT_ENGINE = "retrieval"


def load_prompt_engine(kind: str | None = None, model_name=None, device: str | None = None):
    """The engine ``kind`` (default :data:`DEFAULT_PROMPT_ENGINE`) for sound model ``model_name``."""
    kind = kind or DEFAULT_PROMPT_ENGINE
    if kind == "retrieval":
        from sketchpad.engine.retrieval import load_retrieval_engine

        return load_retrieval_engine(model_name, device=device)
    raise SketchpadError(f"Unknown prompt engine '{kind}' (choose from {', '.join(PROMPT_ENGINES)}).")
