#!/usr/bin/env bash
# Installs the Debian packages Stylize needs to build, test and run.
# Idempotent: packages already present are skipped, so CI and the README's
# first command can call it every time.
set -euo pipefail

PACKAGES=(
  pkg-config
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev
  libopenblas-dev
  libv4l-dev
  ffmpeg          # ffprobe/ffmpeg: used by tests and benchmarks to check outputs
  tmux            # terminal preview tests read the screen back through tmux
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "Installing: ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
