"""Tests for the Qt resource parser in fetch_data.py (no network, no Pillow).

Run with `python -m pytest Training/test_fetch_data.py`, or without pytest as
`python Training/test_fetch_data.py` (Training/test_models.py the same, with the training venv).
"""
import struct
import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fetch_data  # noqa: E402
from fetch_data import RccError, read_rcc  # noqa: E402


def _name(text: str) -> bytes:
    encoded = text.encode("utf-16-be")
    return struct.pack(">HI", len(text), 0) + encoded


def build_rcc(version: int = 2) -> bytes:
    """A tiny rcc: /hello.txt (plain) and /dir/data.bin (zlib)."""
    names = b""
    name_offsets = {}
    for text in ("hello.txt", "dir", "data.bin"):
        name_offsets[text] = len(names)
        names += _name(text)

    hello = b"hello, rcc"
    packed = b"x" * 300 + b"end"
    zipped = struct.pack(">I", len(packed)) + zlib.compress(packed)
    data = struct.pack(">I", len(hello)) + hello
    zipped_offset = len(data)
    data += struct.pack(">I", len(zipped)) + zipped

    mtime = b"\0" * 8 if version >= 2 else b""

    def directory(name_off, count, first):
        return struct.pack(">IHII", name_off, 0x02, count, first) + mtime

    def file(name_off, flags, offset):
        return struct.pack(">IHHHI", name_off, flags, 0, 0, offset) + mtime

    tree = (directory(0, 2, 1)                                    # 0: root
            + directory(name_offsets["dir"], 1, 3)                # 1: dir
            + file(name_offsets["hello.txt"], 0, 0)               # 2
            + file(name_offsets["data.bin"], 0x01, zipped_offset))  # 3

    header_size = 24 if version >= 3 else 20
    tree_off = header_size
    data_off = tree_off + len(tree)
    names_off = data_off + len(data)
    header = struct.pack(">4sIIII", b"qres", version, tree_off, data_off,
                         names_off)
    if version >= 3:
        header += struct.pack(">I", 0)
    return header + tree + data + names


def expect_error(blob: bytes) -> str:
    try:
        read_rcc(blob)
    except RccError as exc:
        assert isinstance(exc, ValueError)
        return str(exc)
    raise AssertionError("malformed rcc was accepted")


def test_reads_plain_and_zlib_entries():
    for version in (1, 2, 3):
        files = read_rcc(build_rcc(version))
        assert files == {"hello.txt": b"hello, rcc",
                         "dir/data.bin": b"x" * 300 + b"end"}, version


def test_bad_magic():
    blob = b"QRES" + build_rcc()[4:]
    assert "not a Qt resource" in expect_error(blob)


def test_every_truncation_raises_value_error():
    blob = build_rcc()
    for cut in range(len(blob)):
        expect_error(blob[:cut])


def test_corrupted_zlib_payload():
    blob = bytearray(build_rcc())
    start = blob.index(zlib.compress(b"x" * 300 + b"end")[:2], 40)
    blob[start:start + 6] = b"\xff" * 6
    message = expect_error(bytes(blob))
    assert "dir/data.bin" in message


def test_cycle_and_bad_child_index():
    blob = bytearray(build_rcc())
    tree_off = struct.unpack_from(">I", blob, 8)[0]
    cyclic = bytearray(blob)
    struct.pack_into(">I", cyclic, tree_off + 22 + 10, 0)   # dir's child = root
    assert "cycle" in expect_error(bytes(cyclic))
    wild = bytearray(blob)
    struct.pack_into(">I", wild, tree_off + 22 + 10, 10_000)
    expect_error(bytes(wild))


def test_board_parsing():
    qml = '''QtObject {
       property string instruction: qsTr("Wassily Kandinsky, Composition VIII - 1923")
       property var levels : [
          { "pixmapfile" : "image/bg.svg", "type" : "SHAPE_BACKGROUND_IMAGE",
            "width": 702, "height": 515 },
          { "pixmapfile" : "image/k_1.webp", "x" : "0.167", "y" : "0.283" }
       ]
    }'''
    board = fetch_data.parse_board("a/resource/board/b.qml", qml)
    assert (board.artist, board.title, board.year) == (
        "Wassily Kandinsky", "Composition VIII", "1923")
    assert board.size == (702, 515)
    assert board.pieces == [("image/k_1.webp", 0.167, 0.283)]
    assert fetch_data.resource_path(board, "image/k_1.webp") == \
        "a/resource/image/k_1.webp"


def test_dep5_licence_lookup():
    text = ("Files: *\nLicense: GPL-3+\n\n"
            "Files: src/activities/erase/resource/cat1.jpg\n"
            "       src/activities/erase/resource/cat2.jpg\n"
            "License: CC-BY-SA-3.0\n")
    stanzas = fetch_data.parse_dep5(text)
    lookup = fetch_data.dep5_licence
    assert lookup(stanzas, "gcompris/src/activities/erase/resource/cat2.webp") \
        == "CC-BY-SA-3.0"
    assert lookup(stanzas, "gcompris/src/other.png") == "GPL-3+"


if __name__ == "__main__":
    import run_tests
    run_tests.run(globals())
