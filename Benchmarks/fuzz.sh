#!/usr/bin/env bash
# Fuzzes the parsers of untrusted input with libFuzzer and AddressSanitizer (issue 19):
#
#   ModelFuzzer    ONNX bytes → protobuf reader, graph, planner, a run on a tiny image
#   PresetFuzzer   preset.json bytes → the preset catalog (listing, lookup by name and folder)
#   Y4MFuzzer      sizes, frame rates and pictures → the YUV4MPEG2 writer
#   MediaFuzzer    media file bytes → MediaReader (open, first pictures and audio packets)
#
# The targets live in Fuzz/ and exist only when STYLIZE_FUZZ is set (see Package.swift); they are
# built in .build/fuzz with -sanitize=fuzzer,address. Corpora grow in .work/fuzz/corpus/TARGET,
# seeded from the test fixtures, the presets and small files ffmpeg makes (many containers and
# codecs, 1×1 and odd sizes, raw streams without timestamps, VFR); crashes, leaks, timeouts and
# out-of-memory inputs land in .work/fuzz/crashes/TARGET/, minimized.
#
# Usage: Benchmarks/fuzz.sh [--seconds N] [--jobs J] [TARGET...]
#   --seconds N   time per target (default 600)
#   --jobs J      targets run side by side (default 2: one per core here)
# Prints executions and findings per target. A finding is a file to replay: TARGET FILE.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=600 jobs=2 targets=()
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -h|--help) source scripts/usage.sh; usage "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
((${#targets[@]})) || targets=(ModelFuzzer PresetFuzzer Y4MFuzzer MediaFuzzer)

work=.work/fuzz
build=.build/fuzz
for target in "${targets[@]}"; do
  STYLIZE_FUZZ=1 swift build --scratch-path "$build" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library \
    --product "$target" >&2
done

seed() {  # seed TARGET: fills the corpus folder the first time
  local corpus=$work/corpus/$1
  [[ -d $corpus ]] && return
  mkdir -p "$corpus"
  case $1 in
    ModelFuzzer) cp Tests/StyleEngineTests/Fixtures/*.onnx "$corpus/" ;;
    PresetFuzzer) for f in Presets/*/preset.json; do cp "$f" "$corpus/$(basename "$(dirname "$f")").json"; done ;;
    Y4MFuzzer)
      # width, height, picture width, picture height, rate (2 bytes each, big-endian), then planes
      printf '\x00\x40\x00\x30\x00\x40\x00\x30\x00\x1e\x00\x01' >"$corpus/64x48"
      head -c 4608 /dev/zero >>"$corpus/64x48"
      printf '\x00\x03\x00\x03\x00\x03\x00\x03\x00\x19\x00\x01%s' "$(head -c 17 /dev/zero | tr '\0' 'a')" >"$corpus/3x3" ;;
    MediaFuzzer)
      local ff=(ffmpeg -hide_banner -loglevel error -y)
      "${ff[@]}" -f lavfi -i testsrc2=size=32x24:rate=10 -f lavfi -i sine -t 0.5 -c:v libx264 -preset ultrafast -c:a aac "$corpus/a.mp4"
      "${ff[@]}" -f lavfi -i testsrc2=size=32x24:rate=10 -t 0.5 -c:v libx264 -preset ultrafast -movflags +faststart "$corpus/b.mp4"
      "${ff[@]}" -f lavfi -i testsrc=size=33x25:rate=10 -f lavfi -i sine -t 0.5 -c:v ffv1 -c:a flac "$corpus/odd.mkv"
      "${ff[@]}" -f lavfi -i color=red:size=2x2:rate=5 -t 0.6 -c:v mpeg4 "$corpus/tiny.avi"
      "${ff[@]}" -f lavfi -i testsrc2=size=32x24:rate=10 -f lavfi -i sine -t 0.5 -c:v mpeg2video -c:a mp2 "$corpus/c.ts"
      "${ff[@]}" -f lavfi -i testsrc2=size=32x24:rate=10 -t 0.5 -c:v libx264 -preset ultrafast -bsf:v h264_mp4toannexb -f h264 "$corpus/raw.h264"
      "${ff[@]}" -f lavfi -i testsrc2=size=32x24:rate=10 -t 0.5 -c:v libvpx-vp9 -deadline realtime "$corpus/d.webm" || true
      "${ff[@]}" -f lavfi -i testsrc2=size=16x16:rate=5 -t 0.6 "$corpus/e.gif"
      "${ff[@]}" -f lavfi -i testsrc2=size=16x16:rate=5 -t 0.4 -pix_fmt yuv420p "$corpus/f.y4m"
      "${ff[@]}" -f lavfi -i testsrc2=size=32x24:rate=10 -t 0.5 -vf "setpts=N*N/10/TB" -fps_mode vfr -c:v libx264 -preset ultrafast "$corpus/vfr.mkv"
      "${ff[@]}" -f lavfi -i testsrc2=size=32x24:rate=10 -t 0.5 -c:v mjpeg -f mjpeg "$corpus/raw.mjpeg"
      "${ff[@]}" -f lavfi -i color=blue:size=2x2:rate=5 -t 0.4 -vf scale=1:1,format=gray -c:v ffv1 "$corpus/1x1.mkv"
      "${ff[@]}" -f lavfi -i color=green:size=16384x2:rate=5 -frames:v 1 -vf scale=16385:2,format=gray -c:v rawvideo "$corpus/wide.nut" ;;
  esac
}

run() {  # run TARGET: prints "TARGET executions findings"
  local target=$1 corpus=$work/corpus/$1 crashes=$work/crashes/$1 log=$work/$1.log
  mkdir -p "$crashes"
  # LeakSanitizer: FoundationEssentials' FileManager.contents(atPath:) leaks its 4 KB buffer on an
  # empty file (swift-foundation, not ours): suppressed so that our own leaks still stop the run.
  LSAN_OPTIONS=suppressions=Fuzz/lsan-suppressions.txt \
    "$build/debug/$target" "$corpus" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -max_len=262144 \
      -print_final_stats=1 -artifact_prefix="$crashes/" >"$log" 2>&1 || true
  local runs findings
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  findings=$(find "$crashes" -type f | wc -l)
  echo "$target ${runs:-?} $findings"
}

for target in "${targets[@]}"; do seed "$target"; done
export -f run; export work build seconds
echo "target executions findings (${seconds}s each; logs in $work/TARGET.log)"
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run {}'
