#!/usr/bin/env bash
# Sets up everything Sketchpad needs on a Debian 12 machine, then returns.
#   bash packaging/setup.sh           system libraries + .venv with the app
#   bash packaging/setup.sh --test    the same, plus the test tools, training and measurement extras
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[ "${1:-}" = "--test" ] && with_tests=1

# Shared libraries the wheels load at run time, and the Debian package of each.
declare -A needed_libs=(
  [libportaudio.so.2]=libportaudio2          # sounddevice
  [libasound.so.2]=libasound2                # python-rtmidi (MIDI keyboards)
  [libsndfile.so.1]=libsndfile1              # fallback for soundfile
  [libEGL.so.1]=libegl1                      # Qt
  [libGL.so.1]=libgl1
  [libxkbcommon.so.0]=libxkbcommon0
  [libxkbcommon-x11.so.0]=libxkbcommon-x11-0
  [libxcb-cursor.so.0]=libxcb-cursor0
  [libxcb-icccm.so.4]=libxcb-icccm4
  [libxcb-keysyms.so.1]=libxcb-keysyms1
  [libxcb-shape.so.0]=libxcb-shape0
  [libxcb-render-util.so.0]=libxcb-render-util0
  [libxcb-image.so.0]=libxcb-image0
  [libfontconfig.so.1]=libfontconfig1
  [libdbus-1.so.3]=libdbus-1-3
)
missing=()
known_libs="$(/sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null || true)"
for lib in "${!needed_libs[@]}"; do
  grep -qF "$lib" <<<"$known_libs" || missing+=("${needed_libs[$lib]}")
done
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv python3-pip)
if [ $with_tests = 1 ]; then  # the packaging tests validate the desktop files
  grep -qF libfluidsynth.so.3 <<<"$known_libs" || missing+=(libfluidsynth3)  # training data
  command -v desktop-file-validate >/dev/null || missing+=(desktop-file-utils)
  command -v appstreamcli >/dev/null || missing+=(appstream)
fi
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root=(); [ "$(id -u)" != 0 ] && as_root=(sudo)
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv

# Reinstall only when the declared dependencies change.
extras=""; [ $with_tests = 1 ] && extras="[test,train,eval]"
stamp=".venv/.sketchpad-installed$extras"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages into .venv (first run downloads PyTorch, a few GB)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extras"
  echo "$want" > "$stamp"
fi
