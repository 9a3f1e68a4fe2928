#!/usr/bin/env bash
# Installs stylize into a prefix: the binary, its presets and sample clip, man pages and shell
# completions; `--uninstall` removes exactly what was installed.
#
# Usage: scripts/install.sh [--prefix DIR] [--destdir DIR] [--binary FILE] [--uninstall]
#   --prefix DIR   where it goes (default: /usr/local as root, else ~/.local)
#                    DIR/bin/stylize
#                    DIR/share/stylize/presets, DIR/share/stylize/SampleClips
#                    DIR/share/man/man1/stylize.1, stylize-video.1, …
#                    DIR/share/bash-completion/completions/stylize, DIR/share/zsh/site-functions/_stylize,
#                    DIR/share/fish/vendor_completions.d/stylize.fish
#                  and a manifest of all of it, DIR/share/stylize/install-manifest.txt
#   --destdir DIR  stage under DIR instead (DIR/PREFIX/…), for packaging: no manifest is written
#   --binary FILE  install this stylize binary instead of building one
#   --uninstall    remove what the manifest under the prefix lists, and the folders the
#                  install created once they are empty
#
# Without --binary it builds in release mode with the Swift runtime linked in
# (--static-swift-stdlib, in .build/static), so the installed binary does not need the
# Swift toolchain; the man pages come from swift-argument-parser's generate-manual.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

prefix= destdir= binary= uninstall=0
while (($#)); do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a folder}; shift 2 ;;
    --destdir) destdir=${2:?--destdir needs a folder}; shift 2 ;;
    --binary) binary=${2:?--binary needs a file}; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) source "$(dirname "$0")/usage.sh"; usage "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [[ -z $prefix ]]; then
  if [[ $(id -u) == 0 ]]; then prefix=/usr/local; else prefix=$HOME/.local; fi
fi
[[ $prefix == /* ]] || prefix=$(pwd)/$prefix
[[ -z $destdir || $destdir == /* ]] || destdir=$(pwd)/$destdir
root=$destdir$prefix
manifest=$prefix/share/stylize/install-manifest.txt

# The manifest lists installed files as "file PATH" and folders the install made as "dir PATH",
# parents before children; uninstalling removes the files, then the folders deepest first if empty.
remove_installed() {
  local line kind path dirs=()
  while IFS= read -r line; do
    kind=${line%% *} path=${line#* }
    case $kind in
      file) rm -f -- "$path" ;;
      dir) dirs+=("$path") ;;
    esac
  done <"$manifest"
  rm -f -- "$manifest"
  for ((i = ${#dirs[@]} - 1; i >= 0; i--)); do rmdir -- "${dirs[i]}" 2>/dev/null || true; done
}

if ((uninstall)); then
  [[ -z $destdir ]] || { echo "install.sh: --uninstall takes no --destdir" >&2; exit 2; }
  [[ -f $manifest ]] || { echo "install.sh: nothing installed in $prefix (no $manifest)" >&2; exit 1; }
  remove_installed
  echo "Removed stylize from $prefix"
  exit 0
fi

# The binary.
if [[ -z $binary ]]; then
  "$repo/scripts/install-deps.sh"
  echo "Building stylize (release, Swift runtime linked in)…" >&2
  swift build --package-path "$repo" --scratch-path "$repo/.build/static" -c release --static-swift-stdlib \
    --product stylize >&2
  binary=$repo/.build/static/release/stylize
fi
[[ -x $binary ]] || { echo "install.sh: $binary is not an executable" >&2; exit 1; }

# Man pages and completions are made from the binary itself, in a scratch folder.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
generator=$repo/.build/static-tools/release/generate-manual
if [[ ! -x $generator ]]; then
  # The checkout of swift-argument-parser that a build of stylize already made.
  parser=$repo/.build/static/checkouts/swift-argument-parser
  [[ -d $parser ]] || parser=$repo/.build/checkouts/swift-argument-parser
  [[ -d $parser ]] || { swift package --package-path "$repo" resolve >&2; }
  echo "Building swift-argument-parser's generate-manual…" >&2
  swift build --package-path "$parser" --scratch-path "$repo/.build/static-tools" -c release --product generate-manual >&2
fi
mkdir -p "$work/man" "$work/completions"
# generate-manual drops every non-ASCII character (0…1 became 01): it reads the help through
# a wrapper that spells them in ASCII (0...1).
printf '#!/bin/sh\n"%s" "$@" | iconv -f UTF-8 -t ASCII//TRANSLIT\n' "$binary" >"$work/stylize"
chmod +x "$work/stylize"
"$generator" "$work/stylize" --multi-page --output-directory "$work/man"
# `man stylize-video`, as git names its subcommands' pages: the NAME section says stylize-video
# (apropos and whatis read one word), the synopsis "stylize video"; blank lines become paragraph breaks.
for page in "$work"/man/*.1; do
  name=$(basename "$page" .1)
  dashed=${name//./-} spaced=${name//./ }
  sed -e "s/^\.Dt ${name^^} /.Dt ${dashed^^} /" -e "s/^\.Nm \"$spaced\"\$/.Nm $dashed/" -e "s/^\.Nm\$/.Nm \"$spaced\"/" \
      -e 's/^\.Nd "\(.*\)"$/.Nd \1/' -e 's/^$/.Pp/' "$page" >"$work/man/$dashed.page"
  rm "$page"
  mv "$work/man/$dashed.page" "$work/man/$dashed.1"
done
# (bash sources the file: no #! line)
"$binary" --generate-completion-script bash | sed '1{/^#!/d}' >"$work/completions/stylize"
"$binary" --generate-completion-script zsh >"$work/completions/_stylize"
"$binary" --generate-completion-script fish >"$work/completions/stylize.fish"

# Replacing an earlier install: its files go first, so none is left behind.
[[ -z $destdir && -f $manifest ]] && remove_installed

[[ -z $destdir ]] || mkdir -p -- "$root"
entries=()
make_dir() {  # creates $1 (under the root) and its missing parents, recording each
  local path=$1 missing=()
  while [[ ! -d $root${path#"$prefix"} && $path == "$prefix"* ]]; do
    missing=("$path" "${missing[@]}")
    [[ $path == "$prefix" ]] && break
    path=$(dirname "$path")
  done
  for path in "${missing[@]}"; do
    mkdir -- "$root${path#"$prefix"}"
    entries+=("dir $path")
  done
}
put() {  # put MODE SOURCE DESTINATION (DESTINATION under the prefix)
  make_dir "$(dirname "$3")"
  install -m "$1" -- "$2" "$root${3#"$prefix"}"
  entries+=("file $3")
}

put 755 "$binary" "$prefix/bin/stylize"
for folder in "$repo"/Presets/*/; do
  name=$(basename "$folder")
  for file in "$folder"*; do
    [[ -f $file ]] && put 644 "$file" "$prefix/share/stylize/presets/$name/$(basename "$file")"
  done
done
for file in "$repo"/SampleClips/*; do
  put 644 "$file" "$prefix/share/stylize/SampleClips/$(basename "$file")"
done
put 755 "$repo/scripts/fetch-loss-network.sh" "$prefix/share/stylize/fetch-loss-network.sh"
for page in "$work"/man/*.1; do
  put 644 "$page" "$prefix/share/man/man1/$(basename "$page")"
done
put 644 "$work/completions/stylize" "$prefix/share/bash-completion/completions/stylize"
put 644 "$work/completions/_stylize" "$prefix/share/zsh/site-functions/_stylize"
put 644 "$work/completions/stylize.fish" "$prefix/share/fish/vendor_completions.d/stylize.fish"

if [[ -z $destdir ]]; then
  make_dir "$(dirname "$manifest")"
  entries+=("file $manifest")
  printf '%s\n' "${entries[@]}" >"$manifest"
fi
echo "Installed stylize $("$binary" --version) into $root"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) [[ -n $destdir ]] || echo "Note: $prefix/bin is not on your PATH; add it to run \`stylize\` by name." ;;
esac
