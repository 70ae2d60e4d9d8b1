#!/usr/bin/env bash
# Installs Sketchpad's desktop entry, AppStream metainfo and icons for the
# current user, so it appears in the application menu and opens audio files.
# Run after `pip install` (or the README's setup), from anywhere:
#   bash packaging/install-desktop.sh             install
#   bash packaging/install-desktop.sh --uninstall remove again
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
app=io.sketchpad.Sketchpad
data="${XDG_DATA_HOME:-$HOME/.local/share}"

if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$data/applications/$app.desktop" "$data/metainfo/$app.metainfo.xml" \
        "$data/icons/hicolor/scalable/apps/$app.svg"
  rm -f "$data"/icons/hicolor/*/apps/$app.png
  echo "Sketchpad's desktop files removed."
  exit 0
fi

# The menu entry must start the sketchpad that was installed, even when it lives in a venv.
exe="$(command -v sketchpad || true)"
[ -z "$exe" ] && [ -x "$root/.venv/bin/sketchpad" ] && exe="$root/.venv/bin/sketchpad"
if [ -z "$exe" ]; then
  echo "install-desktop: 'sketchpad' is not installed; run the setup first." >&2
  exit 2
fi

install -d "$data/applications" "$data/metainfo" "$data/icons/hicolor/scalable/apps"
sed "s|^Exec=sketchpad|Exec=$exe|; s|^TryExec=sketchpad|TryExec=$exe|" \
  "$here/$app.desktop" > "$data/applications/$app.desktop"
install -m 644 "$here/$app.metainfo.xml" "$data/metainfo/"
install -m 644 "$root/resources/icons/sketchpad.svg" "$data/icons/hicolor/scalable/apps/$app.svg"
for png in "$root"/resources/icons/hicolor/*/apps/$app.png; do
  size="$(basename "$(dirname "$(dirname "$png")")")"
  install -D -m 644 "$png" "$data/icons/hicolor/$size/apps/$app.png"
done
command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
echo "Sketchpad installed in the application menu ($data/applications/$app.desktop)."
