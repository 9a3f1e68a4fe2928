#!/usr/bin/env python3
"""Fetch the training data for Stylize's style-training recipe.

Everything comes from Debian packages that this script downloads itself with
``apt-get download`` (no root, no ``apt-get update``) and unpacks with
``dpkg-deb -x`` under the output folder (default ``~/.cache/stylize/training-data/``,
see ``paths.py``: outside the checkout, so it survives a fresh clone):

* Style images (``OUT/styles/``) are scans of public-domain artworks that
  Debian happens to ship:
    - starry-night      opencv-doc        examples/data/starry_night.jpg
    - the-kiss          visp-images-data  ViSP-images/Klimt/Klimt.png
    - the-scream        darknet           data/scream.jpg
    - cafe-terrace      gcompris-qt-data  details.rcc (background of that puzzle)
    - great-wave        gcompris-qt-data  paintings.rcc (jigsaw pieces, reassembled)
    - composition-viii  gcompris-qt-data  paintings.rcc (jigsaw pieces, reassembled)
  The other Van Goghs of details.rcc and the other paintings of paintings.rcc
  go to ``OUT/styles/extra/``.  GCompris keeps its data in Qt resource
  bundles (.rcc); ``read_rcc`` below is a small, bounds-checked parser of that
  format.  The artworks are public domain; the scans' licences are those of
  the Debian packages and are quoted in ``OUT/styles/manifest.json``.

* Content photos (``OUT/photos/train`` and ``OUT/photos/test``) come from
  scratch, gcompris-qt-data, kphotoalbum, darknet, python3-skimage and
  mate-backgrounds (and opencv-doc's sample photos if too few).  Their
  licences vary (GPL, CC-BY-SA, BSD, public domain, ...); each photo's package,
  path and licence line is recorded in ``OUT/photos/manifest.json``.

Nothing fetched here is committed to git: only this script is.  The script is
idempotent: downloaded .debs, extracted packages and written images are
reused on a re-run.  On failure it prints one line on stderr and exits 1.

Usage: python Training/fetch_data.py [--out DIR]
"""
from __future__ import annotations

import argparse
import fnmatch
import io
import json
import re
import shutil
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

try:
    from PIL import Image, ImageFilter
except ImportError:  # pragma: no cover - reported as a clear error in main()
    Image = None

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import paths  # noqa: E402

DEFAULT_OUT = Path(paths.DATA)

GCOMPRIS_RCC = "usr/share/gcompris-qt/rcc"
SKIMAGE_DATA = "usr/lib/python3/dist-packages/skimage/data"


class FetchError(Exception):
    """A failure with a message meant for the user."""


# --------------------------------------------------------------------------
# Qt resource (.rcc) parser
# --------------------------------------------------------------------------

class RccError(ValueError):
    """The .rcc data is malformed or uses an unsupported feature."""


RCC_FLAG_COMPRESSED = 0x01
RCC_FLAG_DIRECTORY = 0x02
RCC_FLAG_COMPRESSED_ZSTD = 0x04


def _unpack(fmt: str, data: bytes, offset: int, what: str) -> tuple:
    size = struct.calcsize(fmt)
    if offset < 0 or offset + size > len(data):
        raise RccError(f"rcc truncated: {what} at offset {offset} "
                       f"needs {size} bytes, file has {len(data)}")
    return struct.unpack_from(fmt, data, offset)


def _slice(data: bytes, offset: int, length: int, what: str) -> bytes:
    if offset < 0 or length < 0 or offset + length > len(data):
        raise RccError(f"rcc truncated: {what} at offset {offset} "
                       f"needs {length} bytes, file has {len(data)}")
    return data[offset:offset + length]


def _rcc_name(data: bytes, names_off: int, name_off: int) -> str:
    (length, _hash) = _unpack(">HI", data, names_off + name_off, "name header")
    raw = _slice(data, names_off + name_off + 6, 2 * length, "name")
    try:
        return raw.decode("utf-16-be")
    except UnicodeDecodeError as exc:
        raise RccError(f"rcc name at {name_off} is not UTF-16: {exc}") from None


def _rcc_payload(data: bytes, data_off: int, offset: int, flags: int,
                 path: str) -> bytes:
    (length,) = _unpack(">I", data, data_off + offset, f"data length of {path}")
    payload = _slice(data, data_off + offset + 4, length, f"data of {path}")
    if flags & RCC_FLAG_COMPRESSED:
        (expected,) = _unpack(">I", payload, 0, f"zlib size of {path}")
        try:
            out = zlib.decompress(payload[4:])
        except zlib.error as exc:
            raise RccError(f"rcc entry {path}: bad zlib data ({exc})") from None
        if len(out) != expected:
            raise RccError(f"rcc entry {path}: {len(out)} bytes after zlib, "
                           f"header says {expected}")
        return out
    if flags & RCC_FLAG_COMPRESSED_ZSTD:
        return _zstd_decompress(payload, path)
    return payload


def _zstd_decompress(payload: bytes, path: str) -> bytes:
    # Python 3.11's stdlib has no zstd; use the zstd tool when present.
    if shutil.which("zstd") is None:
        raise RccError(f"rcc entry {path} is zstd-compressed and the 'zstd' "
                       "tool is not installed")
    proc = subprocess.run(["zstd", "-dc"], input=payload, capture_output=True)
    if proc.returncode != 0:
        raise RccError(f"rcc entry {path}: zstd failed")
    return proc.stdout


def read_rcc(data: bytes) -> dict[str, bytes]:
    """Parse a binary Qt resource file; return {path: file contents}.

    Layout (all big-endian): header "qres", version, tree offset, data
    offset, names offset[, flags if version >= 3].  The tree is an array of
    14-byte (v1) or 22-byte (v2+, + 8-byte mtime) entries: name offset (4),
    flags (2), then for directories child count (4) + first child index (4),
    for files country (2) + language (2) + data offset (4).  Entry 0 is the
    root directory.  Raises RccError on any inconsistency.
    """
    magic, version, tree_off, data_off, names_off = _unpack(
        ">4sIIII", data, 0, "header")
    if magic != b"qres":
        raise RccError(f"not a Qt resource file (magic {magic!r})")
    if version not in (1, 2, 3):
        raise RccError(f"unsupported rcc version {version}")
    if version >= 3:
        _unpack(">I", data, 20, "header flags")
    for what, off in (("tree", tree_off), ("data", data_off),
                      ("names", names_off)):
        if off > len(data):
            raise RccError(f"rcc {what} offset {off} is past the end "
                           f"({len(data)} bytes)")
    entry_size = 14 if version == 1 else 22
    max_entries = (len(data) - tree_off) // entry_size

    files: dict[str, bytes] = {}
    visited: set[int] = set()
    stack: list[tuple[int, str]] = [(0, "")]
    while stack:
        index, prefix = stack.pop()
        if index in visited:
            raise RccError(f"rcc tree has a cycle at entry {index}")
        if index >= max_entries:
            raise RccError(f"rcc tree entry {index} is past the end")
        visited.add(index)
        base = tree_off + index * entry_size
        name_off, flags = _unpack(">IH", data, base, f"tree entry {index}")
        name = "" if index == 0 else _rcc_name(data, names_off, name_off)
        path = f"{prefix}{name}"
        if flags & RCC_FLAG_DIRECTORY:
            count, first = _unpack(">II", data, base + 6, f"directory {path!r}")
            if first + count > max_entries:
                raise RccError(f"rcc directory {path!r} lists children "
                               f"{first}..{first + count - 1}, only "
                               f"{max_entries} entries exist")
            child_prefix = f"{path}/" if index else ""
            stack.extend((child, child_prefix) for child in
                         range(first + count - 1, first - 1, -1))
        elif index == 0:
            raise RccError("rcc root entry is not a directory")
        else:
            _country, _lang, offset = _unpack(">HHI", data, base + 6,
                                              f"file entry {path!r}")
            files[path] = _rcc_payload(data, data_off, offset, flags, path)
    return files


# --------------------------------------------------------------------------
# Debian packages
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Package:
    name: str
    optional: bool = False
    probe: str = ""         # a path that must exist in the package, if set
    fallback: str = ""      # package to try if probe is missing


PACKAGES = [
    Package("opencv-doc"),
    Package("visp-images-data"),
    Package("darknet"),
    Package("gcompris-qt-data"),
    Package("scratch"),
    Package("kphotoalbum"),
    Package("python3-skimage", optional=True,
            probe=f"{SKIMAGE_DATA}/astronaut.png",
            fallback="python3-skimage-lib"),
    Package("mate-backgrounds", optional=True),
]

UPDATE_HINT = "run 'sudo apt-get update' and try again"


def run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise FetchError(f"'{cmd[0]}' not found: this script needs Debian's "
                         "apt-get and dpkg-deb") from None


def package_known(name: str) -> bool:
    proc = run(["apt-cache", "show", name])
    return proc.returncode == 0 and "Package:" in proc.stdout


def download_deb(name: str, debs: Path) -> Path:
    found = sorted(debs.glob(f"{name}_*.deb"))
    if found:
        return found[-1]
    debs.mkdir(parents=True, exist_ok=True)
    proc = run(["apt-get", "download", name], cwd=debs)
    found = sorted(debs.glob(f"{name}_*.deb"))
    if proc.returncode != 0 or not found:
        raise FetchError(f"apt-get download {name} failed; {UPDATE_HINT}")
    return found[-1]


def extract_deb(deb: Path, dest: Path) -> None:
    if dest.is_dir():
        return
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    proc = run(["dpkg-deb", "-x", str(deb), str(tmp)])
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise FetchError(f"dpkg-deb -x {deb.name} failed: "
                         f"{proc.stderr.strip()[:200]}")
    tmp.rename(dest)


def fetch_package(name: str, out: Path) -> Path:
    deb = download_deb(name, out / "debs")
    root = out / "pkgroot" / name
    extract_deb(deb, root)
    return root


def fetch_packages(out: Path) -> tuple[dict[str, Path], list[str]]:
    """Return ({package: extracted root}, notes about skipped packages)."""
    roots: dict[str, Path] = {}
    notes: list[str] = []
    for pkg in PACKAGES:
        if not package_known(pkg.name):
            if pkg.optional:
                notes.append(f"{pkg.name}: not known to apt, skipped")
                continue
            raise FetchError(f"apt does not know package {pkg.name}; "
                             f"{UPDATE_HINT}")
        try:
            root = fetch_package(pkg.name, out)
        except FetchError as exc:
            if not pkg.optional:
                raise
            notes.append(f"{pkg.name}: {exc}; skipped")
            continue
        if pkg.probe and not (root / pkg.probe).exists():
            if pkg.fallback and package_known(pkg.fallback):
                alt = fetch_package(pkg.fallback, out)
                if (alt / pkg.probe).exists():
                    roots[pkg.name] = alt
                    notes.append(f"{pkg.name}: data taken from {pkg.fallback}")
                    continue
            notes.append(f"{pkg.name}: {pkg.probe} not shipped, skipped")
            continue
        roots[pkg.name] = root
    return roots, notes


# --------------------------------------------------------------------------
# Licences (Debian machine-readable copyright files and GCompris READMEs)
# --------------------------------------------------------------------------

def parse_dep5(text: str) -> list[tuple[list[str], str]]:
    """Return [(file patterns, licence line)] for each Files stanza."""
    stanzas = []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, list[str]] = {}
        key = None
        for line in block.splitlines():
            match = re.match(r"^([A-Za-z-]+):\s*(.*)$", line)
            if match:
                key = match.group(1).lower()
                fields[key] = [match.group(2)]
            elif key and line[:1] in (" ", "\t"):
                fields[key].append(line.strip())
        if "files" in fields and "license" in fields:
            patterns = " ".join(fields["files"]).split()
            licence = fields["license"][0].strip()
            if "comment" in fields:
                licence += f" ({' '.join(fields['comment']).strip()})"
            stanzas.append((patterns, licence))
    return stanzas


def _stem(path: str) -> str:
    return re.sub(r"\.[A-Za-z0-9]+$", "", path)


def dep5_licence(stanzas: list[tuple[list[str], str]], path: str) -> str | None:
    """Licence of path per DEP-5 (last matching stanza wins).

    Patterns are relative to the upstream tree, the path is an installed
    path, so every suffix of the path is tried; extensions are ignored
    because GCompris ships .webp conversions of the listed .jpg files.
    """
    parts = path.strip("/").split("/")
    suffixes = ["/".join(parts[i:]) for i in range(len(parts))]
    result = None
    for patterns, licence in stanzas:
        for pattern in patterns:
            if pattern == "*":
                result = licence
                break
            if any(fnmatch.fnmatchcase(s, pattern) or
                   fnmatch.fnmatchcase(_stem(s), _stem(pattern))
                   for s in suffixes):
                result = licence
                break
    return result


class Licences:
    """Looks up licence lines in the extracted packages' copyright files."""

    def __init__(self, roots: dict[str, Path]):
        self.roots = roots
        self.cache: dict[str, tuple[str, list]] = {}

    def _load(self, pkg: str) -> tuple[str, list]:
        if pkg not in self.cache:
            path = self.roots[pkg] / "usr/share/doc" / pkg / "copyright"
            if not path.exists():  # e.g. python3-skimage-lib's root
                path = next(self.roots[pkg].glob("usr/share/doc/*/copyright"))
            text = path.read_text(encoding="utf-8", errors="replace")
            self.cache[pkg] = (text, parse_dep5(text))
        return self.cache[pkg]

    def lookup(self, pkg: str, path: str) -> str:
        text, stanzas = self._load(pkg)
        licence = dep5_licence(stanzas, path) if stanzas else None
        if licence:
            return licence
        # Not machine-readable: quote the first sentence after "License:".
        match = re.search(r"^License:\s*\n\s*(.+?\.)(?:\s|$)", text,
                          re.M | re.S)
        if match:
            return " ".join(match.group(1).split())
        return "see copyright file"

    def note(self, pkg: str, path: str) -> str:
        return (f"licence per /usr/share/doc/{pkg}/copyright: "
                f"{self.lookup(pkg, path)}")


def rcc_readme_licences(files: dict[str, bytes]) -> dict[str, str]:
    """Per-file licences from the DEP-5-style READMEs inside a GCompris rcc."""
    result: dict[str, str] = {}
    for path, data in files.items():
        if path.rsplit("/", 1)[-1] != "README":
            continue
        folder = path.rsplit("/", 1)[0]
        text = data.decode("utf-8", errors="replace")
        for block in re.split(r"\n\s*\n", text):
            licence = re.search(r"^License:\s*(.+)$", block, re.M)
            if not licence:
                continue
            comment = re.search(r"^Comment:\s*(.+?)(?=^\S+:|\Z)", block,
                                re.M | re.S)
            note = licence.group(1).strip()
            if comment:
                note += f" ({' '.join(comment.group(1).split())})"
                block = block.replace(comment.group(0), "")
            # File names follow "Files:" or, in some READMEs, stand alone.
            for name in re.findall(r"[\w./+-]+\.(?:webp|jpe?g|png|svg)", block):
                result[f"{folder}/{name}"] = note
    return result


# --------------------------------------------------------------------------
# Image helpers
# --------------------------------------------------------------------------

def open_image(data: bytes | Path) -> "Image.Image":
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    image = Image.open(source)
    image.load()
    return image


def to_rgb(image: "Image.Image") -> "Image.Image":
    if image.mode in ("RGBA", "LA", "PA") or (
            image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def save_jpeg(image: "Image.Image", path: Path, quality: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    image.save(tmp, "JPEG", quality=quality)
    tmp.rename(path)


def slug(text: str) -> str:
    text = text.replace("é", "e").replace("ü", "u").replace("è", "e")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --------------------------------------------------------------------------
# Styles
# --------------------------------------------------------------------------

@dataclass
class Style:
    name: str
    title: str
    artist: str
    year: str
    package: str
    path: str                       # file in the package, or the rcc
    rcc_match: str = ""             # board title to look for in the rcc
    extra: bool = False


MAIN_STYLES = [
    Style("starry-night", "The Starry Night", "Vincent van Gogh", "1889",
          "opencv-doc", "usr/share/doc/opencv-doc/examples/data/starry_night.jpg"),
    Style("the-kiss", "The Kiss", "Gustav Klimt", "1907-1908",
          "visp-images-data",
          "usr/share/visp-images-data/ViSP-images/Klimt/Klimt.png"),
    Style("the-scream", "The Scream", "Edvard Munch", "1893",
          "darknet", "usr/share/darknet/data/scream.jpg"),
    Style("cafe-terrace", "Café Terrace at Night", "Vincent van Gogh", "1888",
          "gcompris-qt-data", f"{GCOMPRIS_RCC}/details.rcc",
          rcc_match="Cafe Terrace at Night"),
    Style("great-wave", "The Great Wave off Kanagawa", "Katsushika Hokusai",
          "c. 1831", "gcompris-qt-data", f"{GCOMPRIS_RCC}/paintings.rcc",
          rcc_match="The Great Wave off Kanagawa"),
    Style("composition-viii", "Composition VIII", "Wassily Kandinsky", "1923",
          "gcompris-qt-data", f"{GCOMPRIS_RCC}/paintings.rcc",
          rcc_match="Composition VIII"),
]

# Boards of paintings.rcc that are not paintings, or whose names need fixing.
SKIP_BOARDS = {"Pieta"}  # a photo of a sculpture
ARTIST_FIXES = {"Katsushika Hokusa": "Katsushika Hokusai",
                "Pieter Brugel": "Pieter Bruegel the Elder",
                "Bazille": "Frédéric Bazille",
                "Vincent Van Gogh": "Vincent van Gogh"}


@dataclass
class Board:
    """One GCompris puzzle board (a QML file in an rcc)."""
    qml_path: str
    artist: str
    title: str
    year: str
    background: str                  # image path relative to resource/
    size: tuple[int, int]            # board width, height
    pieces: list[tuple[str, float, float]]  # image, centre x, centre y (0..1)


def parse_board(path: str, qml: str) -> Board | None:
    instruction = re.search(r'instruction:\s*qsTr\("([^"]*)"\)', qml)
    if not instruction:
        return None
    text = instruction.group(1).rstrip(".")
    artist, _, rest = text.partition(", ")
    title, _, year = rest.rpartition(" - ") if " - " in rest else (rest, "", "")
    if not rest:
        artist, title = "", text
    trailing_year = re.match(r"^(.*?)\s+(\d{4}(?:-\d+)?)$", title)
    if not year and trailing_year:
        title, year = trailing_year.groups()
    background, size, pieces = "", (0, 0), []
    for obj in re.findall(r"\{([^{}]*)\}", qml):
        fields = dict(re.findall(r'"(\w+)"\s*:\s*"?([^",\n]*)"?', obj))
        image = fields.get("pixmapfile", "")
        if fields.get("type") == "SHAPE_BACKGROUND_IMAGE":
            size = (int(fields.get("width", 0)), int(fields.get("height", 0)))
        elif image.endswith("_background.webp") or fields.get("type") == \
                "DISPLAY_TEXT":
            background = background or image
        elif image and "x" in fields and "y" in fields:
            pieces.append((image, float(fields["x"]), float(fields["y"])))
    if not background:
        match = re.search(r'"([^"]*_background\.\w+)"', qml)
        background = match.group(1) if match else ""
    return Board(path, ARTIST_FIXES.get(artist, artist), title.strip(),
                 year.strip(), background, size, pieces)


def rcc_boards(files: dict[str, bytes]) -> list[Board]:
    boards = []
    for path in sorted(files):
        if "/board/" in path and path.endswith(".qml"):
            board = parse_board(path, files[path].decode("utf-8", "replace"))
            if board:
                boards.append(board)
    return boards


def resource_path(board: Board, image: str) -> str:
    return board.qml_path.split("/board/")[0] + "/" + image


def assemble_puzzle(board: Board, files: dict[str, bytes]) -> "Image.Image":
    """Put the jigsaw pieces back together.

    Piece positions are the piece centres as fractions of the board size
    (GCompris places a piece at x * boardWidth - pieceWidth / 2).  Pieces
    have transparent tabs, so they are alpha-composited; the result is
    cropped to the painted area.
    """
    width, height = board.size
    if not (width and height and board.pieces):
        raise FetchError(f"{board.qml_path}: no board size or pieces")
    placed = []
    for image_path, fx, fy in board.pieces:
        key = resource_path(board, image_path)
        if key not in files:
            raise FetchError(f"{board.qml_path}: piece {image_path} missing")
        piece = open_image(files[key]).convert("RGBA")
        left = round(fx * width - piece.width / 2)
        top = round(fy * height - piece.height / 2)
        placed.append((piece, left, top))
    min_x = min(left for _, left, _ in placed)
    min_y = min(top for _, _, top in placed)
    max_x = max(left + p.width for p, left, _ in placed)
    max_y = max(top + p.height for p, _, top in placed)
    canvas = Image.new("RGBA", (max_x - min_x, max_y - min_y), (0, 0, 0, 0))
    for piece, left, top in placed:
        canvas.alpha_composite(piece, (left - min_x, top - min_y))
    bbox = canvas.getchannel("A").point(lambda a: 255 if a > 128 else 0).getbbox()
    canvas = canvas.crop(bbox)
    return fill_seams(canvas)


def fill_seams(canvas: "Image.Image") -> "Image.Image":
    """Flatten to RGB, filling pixels that no piece covers fully.

    Positions in the QML are rounded to 1/1000 of the board, so neighbouring
    pieces can miss each other by a pixel; such pixels get the average colour
    of the painted pixels around them instead of the background.
    """
    alpha = canvas.getchannel("A")
    rgb = canvas.convert("RGB")
    premult = Image.composite(rgb, Image.new("RGB", rgb.size), alpha)
    colour = premult.filter(ImageFilter.BoxBlur(2)).load()
    weight = alpha.filter(ImageFilter.BoxBlur(2)).load()
    a, o = alpha.load(), rgb.load()
    for y in range(canvas.height):
        for x in range(canvas.width):
            t = a[x, y]
            if t == 255:
                continue
            k = weight[x, y]
            fill = [min(255, c * 255 // k) if k else 0 for c in colour[x, y]]
            src = o[x, y] if t else (0, 0, 0)
            o[x, y] = tuple((s * t + f * (255 - t)) // 255
                            for s, f in zip(src, fill))
    return rgb


ARTIST_SHORT = {"Vincent van Gogh": "van-gogh", "Leonardo da Vinci": "leonardo",
                "Pieter Bruegel the Elder": "bruegel"}


def style_from_board(board: Board, pkg: str, rcc: str, extra: bool) -> Style:
    short = ARTIST_SHORT.get(board.artist, board.artist.split()[-1])
    return Style(slug(f"{short}-{board.title}"),
                 board.title, board.artist, board.year, pkg, rcc, extra=extra)


def render_board(board: Board, files: dict[str, bytes]) -> "Image.Image":
    if board.pieces and not board.background.endswith("_background.webp"):
        return assemble_puzzle(board, files)
    key = resource_path(board, board.background)
    if key not in files:
        raise FetchError(f"{board.qml_path}: image {board.background} missing")
    return to_rgb(open_image(files[key]))


def make_styles(roots: dict[str, Path], out: Path, licences: Licences) -> dict:
    styles_dir = out / "styles"
    manifest: dict[str, dict] = {}
    rcc_cache: dict[str, dict[str, bytes]] = {}

    def rcc_files(style: Style) -> dict[str, bytes]:
        if style.path not in rcc_cache:
            rcc_cache[style.path] = read_rcc(
                (roots[style.package] / style.path).read_bytes())
        return rcc_cache[style.path]

    def emit(style: Style, source: str, render, licence: str) -> None:
        target = styles_dir / ("extra" if style.extra else "") / f"{style.name}.jpg"
        if not target.exists():
            save_jpeg(render(), target, quality=95)
        with Image.open(target) as done:
            size = done.size
        manifest[style.name] = {
            "file": str(target.relative_to(styles_dir)),
            "title": style.title, "artist": style.artist, "year": style.year,
            "source_package": style.package, "source_path": source,
            "licence": ("public domain artwork; scan from Debian package "
                        f"{style.package}, licence per its copyright file: "
                        f"{licence}"),
            "size": list(size), "extra": style.extra,
        }

    used_boards: set[str] = set()
    for style in MAIN_STYLES:
        if style.package not in roots:
            raise FetchError(f"package {style.package} is needed for {style.name}")
        if not style.rcc_match:
            path = roots[style.package] / style.path
            if not path.exists():
                raise FetchError(f"{style.name}: {style.path} not in {style.package}")
            emit(style, "/" + style.path, lambda p=path: to_rgb(open_image(p)),
                 licences.lookup(style.package, style.path))
            continue
        files = rcc_files(style)
        board = next((b for b in rcc_boards(files)
                      if style.rcc_match.lower() in b.title.lower()), None)
        if board is None:
            raise FetchError(f"{style.name}: no board titled "
                             f"'{style.rcc_match}' in {style.path}")
        used_boards.add(board.qml_path)
        emit(style, rcc_source(style.path, board),
             lambda b=board, f=files: render_board(b, f),
             rcc_licence(licences, style.package, files, board))

    for rcc, want_artist in (("details.rcc", "Vincent van Gogh"),
                             ("paintings.rcc", None)):
        probe = Style("", "", "", "", "gcompris-qt-data", f"{GCOMPRIS_RCC}/{rcc}")
        files = rcc_files(probe)
        for board in rcc_boards(files):
            if board.qml_path in used_boards or board.title in SKIP_BOARDS:
                continue
            if want_artist and board.artist != want_artist:
                continue
            style = style_from_board(board, probe.package, probe.path, True)
            emit(style, rcc_source(probe.path, board),
                 lambda b=board, f=files: render_board(b, f),
                 rcc_licence(licences, probe.package, files, board))

    (styles_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def rcc_source(rcc: str, board: Board) -> str:
    if board.background.endswith("_background.webp"):
        inner = resource_path(board, board.background)
    else:
        inner = f"{board.qml_path} (pieces reassembled)"
    return f"/{rcc}:{inner}"


def rcc_licence(licences: Licences, pkg: str, files: dict[str, bytes],
                board: Board) -> str:
    readme = rcc_readme_licences(files)
    image = board.background if board.background.endswith(
        "_background.webp") else board.pieces[0][0]
    key = resource_path(board, image)
    parts = [licences.lookup(pkg, key)]
    if key in readme:
        parts.append(f"GCompris README: {readme[key]}")
    return "; ".join(parts)


# --------------------------------------------------------------------------
# Photos
# --------------------------------------------------------------------------

@dataclass
class Photo:
    name: str          # output file stem
    package: str
    path: str          # path in the package, or "rcc:entry"
    load: object       # () -> PIL image
    licence: str = ""


PHOTO_EXTS = (".jpg", ".jpeg", ".png", ".webp")
SKIMAGE_PHOTOS = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg",
                  "motorcycle_left.png"]
GCOMPRIS_PHOTO_RCCS = ["erase", "explore_monuments", "explore_world_animals",
                       "explore_farm_animals"]
# Scratch backgrounds that are .jpg but drawings (checked by eye).
SCRATCH_DRAWINGS = ("party-room.jpg", "room1.jpg", "room2.jpg", "room3.jpg",
                    "spotlight-stage.jpg", "school2.jpg")
# opencv-doc sample photos, used only if the sources above give too few.
OPENCV_PHOTOS = ["apple.jpg", "baboon.jpg", "building.jpg", "butterfly.jpg",
                 "fruits.jpg", "home.jpg", "orange.jpg", "messi5.jpg",
                 "squirrel_cls.jpg", "aero1.jpg", "leuvenA.jpg", "graf1.png",
                 "HappyFish.jpg", "ela_original.jpg", "stuff.jpg"]
# Held out for testing (landscape/city, portrait, object), never trained on.
TEST_PHOTOS = ["gcompris-explore-monuments-montstmichel", "skimage-astronaut",
               "skimage-coffee"]
MIN_SHORT_SIDE = 256
MAX_SHORT_SIDE = 512
MIN_TRAIN = 200


def file_photos(pkg: str, root: Path, folder: str, pattern: str, prefix: str,
                exclude: tuple[str, ...] = ()) -> list[Photo]:
    photos = []
    base = root / folder
    for path in sorted(base.glob(pattern)):
        if path.name in exclude or path.suffix.lower() not in PHOTO_EXTS:
            continue
        rel = path.relative_to(base).with_suffix("")
        photos.append(Photo(slug(f"{prefix}-{rel}"), pkg,
                            "/" + str(path.relative_to(root)),
                            lambda p=path: open_image(p)))
    return photos


def rcc_photos(root: Path, rcc_name: str) -> list[Photo]:
    rcc = f"{GCOMPRIS_RCC}/{rcc_name}.rcc"
    files = read_rcc((root / rcc).read_bytes())
    readme = rcc_readme_licences(files)
    photos = []
    for path in sorted(files):
        if not path.lower().endswith(PHOTO_EXTS):
            continue
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        photo = Photo(slug(f"gcompris-{rcc_name}-{stem}"), "gcompris-qt-data",
                      f"/{rcc}:{path}",
                      lambda d=files[path]: open_image(d))
        if path in readme:
            photo.licence = f"GCompris README: {readme[path]}"
        photos.append(photo)
    return photos


def photo_candidates(roots: dict[str, Path], with_opencv: bool) -> list[Photo]:
    found: list[Photo] = []
    if "python3-skimage" in roots:
        root = roots["python3-skimage"]
        for name in SKIMAGE_PHOTOS:
            found += file_photos("python3-skimage", root, SKIMAGE_DATA, name,
                                 "skimage")
    for rcc in GCOMPRIS_PHOTO_RCCS:
        found += rcc_photos(roots["gcompris-qt-data"], rcc)
    # Scratch's backgrounds: .gif/.png are drawings, and so are a few .jpg.
    found += file_photos("scratch", roots["scratch"],
                         "usr/share/scratch/Media/Backgrounds", "*/*.jpg",
                         "scratch", exclude=SCRATCH_DRAWINGS)
    found += file_photos("kphotoalbum", roots["kphotoalbum"],
                         "usr/share/kphotoalbum/demo", "*.jpg", "kphotoalbum")
    found += file_photos("darknet", roots["darknet"], "usr/share/darknet/data",
                         "*.jpg", "darknet", exclude=("scream.jpg",))
    if "mate-backgrounds" in roots:
        found += file_photos("mate-backgrounds", roots["mate-backgrounds"],
                             "usr/share/backgrounds/mate/nature", "*.jpg",
                             "mate")
    if with_opencv:
        for name in OPENCV_PHOTOS:
            found += file_photos("opencv-doc", roots["opencv-doc"],
                                 "usr/share/doc/opencv-doc/examples/data",
                                 name, "opencv")
    return found


def prepare_photo(image: "Image.Image") -> "Image.Image | None":
    """RGB, shorter side <= 512; None if too small or greyscale."""
    if min(image.size) < MIN_SHORT_SIDE:
        return None
    rgb = to_rgb(image)
    small = rgb.resize((32, 32)).tobytes()
    pixels = zip(small[0::3], small[1::3], small[2::3])
    spread = sum(max(px) - min(px) for px in pixels) / (32 * 32)
    if spread < 4:
        return None  # greyscale: no use as colour content
    scale = MAX_SHORT_SIDE / min(rgb.size)
    if scale < 1:
        size = (round(rgb.width * scale), round(rgb.height * scale))
        rgb = rgb.resize(size, Image.LANCZOS)
    return rgb


def fingerprint(image: "Image.Image") -> list[int]:
    return list(image.convert("L").resize((16, 16), Image.BILINEAR).tobytes())


def is_duplicate(print_: list[int], seen: list[list[int]]) -> bool:
    return any(sum(abs(a - b) for a, b in zip(print_, other)) / 256 < 2
               for other in seen)


def make_photos(roots: dict[str, Path], out: Path, licences: Licences) -> dict:
    photos_dir = out / "photos"
    for with_opencv in (False, True):
        candidates = photo_candidates(roots, with_opencv)
        # Test photos first, so that their near-duplicates stay out of train.
        order = {name: i for i, name in enumerate(TEST_PHOTOS)}
        candidates.sort(key=lambda p: order.get(p.name, len(order)))
        missing = [n for n in TEST_PHOTOS if n not in
                   {c.name for c in candidates}]
        if missing:
            raise FetchError(f"test photos not found: {', '.join(missing)}")
        entries, skipped = select_photos(candidates, photos_dir, licences)
        train = sum(1 for e in entries if e["split"] == "train")
        if train >= MIN_TRAIN:
            break
    manifest = {"photos": entries, "skipped": skipped}
    (photos_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def select_photos(candidates: list[Photo], photos_dir: Path,
                  licences: Licences) -> tuple[list[dict], dict[str, int]]:
    seen: list[list[int]] = []
    entries: list[dict] = []
    skipped = {"too small": 0, "greyscale": 0, "near duplicate": 0,
               "unreadable": 0}
    names: set[str] = set()
    for photo in candidates:
        split = "test" if photo.name in TEST_PHOTOS else "train"
        target = photos_dir / split / f"{photo.name}.jpg"
        try:
            source = photo.load()
        except OSError:
            skipped["unreadable"] += 1
            continue
        if min(source.size) < MIN_SHORT_SIDE:
            skipped["too small"] += 1
            continue
        image = prepare_photo(source)
        if image is None:
            skipped["greyscale"] += 1
            continue
        print_ = fingerprint(image)
        if is_duplicate(print_, seen) or photo.name in names:
            skipped["near duplicate"] += 1
            continue
        seen.append(print_)
        names.add(photo.name)
        if not target.exists():
            save_jpeg(image, target, quality=92)
        licence = licences.note(photo.package, photo.path.split(":")[-1])
        if photo.licence:
            licence += f"; {photo.licence}"
        entries.append({"file": f"{split}/{photo.name}.jpg", "split": split,
                        "source_package": photo.package,
                        "source_path": photo.path, "licence": licence,
                        "size": list(image.size)})
    # Files from an earlier run that are no longer selected must not linger.
    keep = {e["file"] for e in entries}
    for split in ("train", "test"):
        for path in (photos_dir / split).glob("*.jpg"):
            if f"{split}/{path.name}" not in keep:
                path.unlink()
    return entries, skipped


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def step(number: int, text: str) -> None:
    print(f"[{number}/3] {text}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    started = time.monotonic()
    try:
        if Image is None:
            raise FetchError("Pillow is not installed (pip install Pillow)")
        out.mkdir(parents=True, exist_ok=True)
        step(1, f"Debian packages -> {out}/debs, {out}/pkgroot")
        roots, notes = fetch_packages(out)
        for note in notes:
            print(f"      note: {note}")
        licences = Licences(roots)
        step(2, "style images -> styles/")
        styles = make_styles(roots, out, licences)
        step(3, "content photos -> photos/")
        photos = make_photos(roots, out, licences)
    except (FetchError, RccError, OSError) as exc:
        print(f"fetch_data: error: {exc}", file=sys.stderr)
        return 1
    main_styles = [s for s in styles.values() if not s["extra"]]
    train = [p for p in photos["photos"] if p["split"] == "train"]
    test = [p for p in photos["photos"] if p["split"] == "test"]
    print(f"done in {time.monotonic() - started:.1f}s: "
          f"{len(main_styles)} styles + {len(styles) - len(main_styles)} extra, "
          f"{len(train)} train photos, {len(test)} test photos "
          f"(skipped: {', '.join(f'{v} {k}' for k, v in photos['skipped'].items())})")
    for s in main_styles:
        print(f"      {s['file']}: {s['size'][0]}x{s['size'][1]} "
              f"{s['artist']}, {s['title']} ({s['year']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
