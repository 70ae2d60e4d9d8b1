#!/usr/bin/env bash
# Builds the one-folder desktop app with PyInstaller, then smoke-tests it:
# --version, a prompt rendered to WAVs and a screenshot of its window, offscreen.
#   bash packaging/build_app.sh      -> dist/sketchpad/sketchpad
# Run the README's setup first. The build takes several minutes and a few GB,
# most of it PyTorch with its CUDA libraries, so the GPU keeps working.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  echo "build_app: no .venv here; run 'bash packaging/setup.sh' first." >&2
  exit 2
fi
.venv/bin/python -m pip install -q -e ".[package]"
.venv/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/sketchpad.spec
.venv/bin/python packaging/smoke_dist.py app dist/sketchpad/sketchpad
echo "build_app: $(du -sh dist/sketchpad | cut -f1) in dist/sketchpad; start it with dist/sketchpad/sketchpad"
