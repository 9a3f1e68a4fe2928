#!/usr/bin/env bash
# A soak of the two long-running paths (issue 19): do memory, open files, threads and latency stay
# flat over a long run?
#
#   live   `stylize camera` with the sample clip played as a looping 30 fps camera, YUV4MPEG2 out
#          to a pipe that throws it away; its `--stats-every 10` lines give each interval's frames,
#          drops, fps and latency p50/p95.
#   video  `stylize video - -o - --format nut`: the sample clip looped by ffmpeg (-stream_loop -1)
#          into standard input, the result thrown away; stopped with Ctrl-C's signal when the
#          phase's time is up. Its `--stats-every 10` lines give each interval's frames and fps.
#
# Every 10 s the script samples the running process from /proc: resident memory (VmRSS), open
# file descriptors and threads. Then it prints, per phase, the first and the last sample and the
# mean of the first and the last 5 minutes (or fifth of the phase, if shorter), with the change in
# percent: flat means within 5%.
#
# Usage: Benchmarks/soak.sh [--minutes M] [--size WxH] [--style S] [--only live|video]
#   --minutes M   whole soak (default 30): the first half live, the second half video
#   --only P      one phase, for all of the minutes
#   --size WxH    the live picture (default 640x480)
# Keeps every sample in .work/bench-soak/run-DATE/{live,video}.tsv and the stats lines in live.log.
# STYLIZE_BIN=PATH uses a prebuilt binary (Benchmarks/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=30 size=640x480 style= only=
while (($#)); do
  case $1 in
    --minutes) minutes=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --style) style=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    -h|--help) source scripts/usage.sh; usage "$0"; exit 0 ;;
    *) echo "soak.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
source Benchmarks/lib.sh
bench_setup soak "$style"
out=$work/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
phase_seconds=$((minutes * 30))
case $only in
  "") ;;
  live|video) phase_seconds=$((minutes * 60)) ;;
  *) echo "soak.sh: --only takes live or video" >&2; exit 2 ;;
esac
clip=SampleClips/city-night.mp4

sample() {  # sample PID FILE: one line every 10 s while PID lives: seconds, RSS kB, fds, threads
  local pid=$1 file=$2 start=$SECONDS
  printf 'seconds\trss_kb\tfds\tthreads\tanon_kb\tfile_kb\n' >"$file"
  sleep 1   # past the exec
  while kill -0 "$pid" 2>/dev/null; do
    local rss threads fds anon mapped
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || break
    anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || break
    mapped=$(awk '/^RssFile:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || break
    threads=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || break
    fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
    [[ -n $rss && $rss != 0 ]] && printf '%d\t%s\t%s\t%s\t%s\t%s\n' $((SECONDS - start)) "$rss" "$fds" "$threads" "$anon" "$mapped" >>"$file"
    sleep 10
  done
}

summarize() {  # summarize NAME FILE [STATS-LOG]: first/last samples, first/last window means
  awk -F'\t' -v name="$1" -v total="$phase_seconds" '
    NR == 1 { next }
    { t[n] = $1; rss[n] = $2; fds[n] = $3; thr[n] = $4; n++ }
    END {
      if (n < 2) { printf "%s: too few samples\n", name; exit }
      w = total / 6 < 300 ? total / 6 : 300
      for (i = 0; i < n; i++) {
        if (t[i] >= 10 && t[i] < 10 + w) { a1 += rss[i]; b1 += fds[i]; c1 += thr[i]; k1++ }
        if (t[i] > t[n-1] - w) { a2 += rss[i]; b2 += fds[i]; c2 += thr[i]; k2++ }
      }
      printf "%s: %d samples over %d s; first/last sample: RSS %d/%d kB, fds %d/%d, threads %d/%d\n", \
        name, n, t[n-1], rss[0], rss[n-1], fds[0], fds[n-1], thr[0], thr[n-1]
      if (k1 && k2) printf "  mean of the first and the last %d s: RSS %.0f → %.0f kB (%+.1f%%), fds %.1f → %.1f (%+.1f%%), threads %.1f → %.1f (%+.1f%%)\n", \
        w, a1/k1, a2/k2, 100*(a2/k2 - a1/k1)/(a1/k1), b1/k1, b2/k2, 100*(b2/k2 - b1/k1)/(b1/k1), c1/k1, c2/k2, 100*(c2/k2 - c1/k1)/(c1/k1)
    }' "$2"
  [[ -n ${3:-} ]] || return 0
  awk -v total="$phase_seconds" '
    /^Stats:/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                t[n] = v["t"]; p95[n] = v["p95-ms"]; fps[n] = v["fps"]; drop[n] = v["dropped"]; n++ }
    END {
      if (n < 2) exit
      w = total / 6 < 300 ? total / 6 : 300
      for (i = 0; i < n; i++) {
        if (t[i] <= w) { p1 += p95[i]; f1 += fps[i]; k1++ }
        if (t[i] > t[n-1] - w) { p2 += p95[i]; f2 += fps[i]; k2++ }
        d += drop[i]; if (p95[i] > worst) worst = p95[i]
      }
      if (worst > 0) printf "  latency p95 per 10 s, mean of the first and the last %d s: %.1f → %.1f ms (worst interval %.1f ms); fps %.2f → %.2f; %d frames dropped in all\n", \
        w, p1/k1, p2/k2, worst, f1/k1, f2/k2, d
      else printf "  fps per 10 s, mean of the first and the last %d s: %.2f → %.2f\n", w, f1/k1, f2/k2
    }' "$3"
}

case $only in
  "") echo "Soak: ${minutes} min ($((phase_seconds / 60)) live at $size, then $((phase_seconds / 60)) video), binary $bin" >&2 ;;
  *) echo "Soak: ${minutes} min of the $only path, binary $bin" >&2 ;;
esac
if [[ $only != video ]]; then
  "$bin" camera --input "$clip" --loop --fps 30 --size "$size" --output - --stats-every 10 "${style_args[@]}" \
    2>"$out/live.log" >/dev/null &
  live=$!
  sample "$live" "$out/live.tsv" &
  sampler=$!
  sleep "$phase_seconds"
  kill -INT "$live" 2>/dev/null || true
  wait "$live" || true
  wait "$sampler" || true
fi

if [[ $only != live ]]; then
  # The stream is as long as the phase could possibly need; the phase ends on time by signal.
  ffmpeg -hide_banner -loglevel error -stream_loop -1 -i "$clip" -t "$phase_seconds" -c copy -f matroska - 2>"$out/ffmpeg.log" |
    "$bin" video - -o - --format nut --quiet --stats-every 10 "${style_args[@]}" 2>"$out/video.log" >/dev/null &
  sleep 2
  video=$(pgrep -n -f "video - -o - --format nut")
  sample "$video" "$out/video.tsv" &
  sampler=$!
  sleep $((phase_seconds - 2))
  kill -INT "$video" 2>/dev/null || true
  wait "$sampler" || true
  wait || true
fi

if [[ $only != video ]]; then
  summarize live "$out/live.tsv" "$out/live.log"
  tail -1 "$out/live.log" | sed 's/^/  live: /'
fi
if [[ $only != live ]]; then
  summarize video "$out/video.tsv" "$out/video.log"
  grep -v '^Stats:' "$out/video.log" | tail -1 | sed 's/^/  video: /'
fi
echo "(samples in $out)"
