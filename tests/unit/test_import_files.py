"""Safe file reading (size limits, gzip and zip, bombs) and format detection."""

from __future__ import annotations

import gzip
import io
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from accord.engine.imports import FORMATS, ImportFormatError, detect_format, parse, read_limited

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
MIB = 1 << 20
NODE = "identity--7d3f3c4e-1b2a-4c5d-8e9f-0a1b2c3d4e5f"


def _zip(members: dict[str, bytes], **kwargs) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, **kwargs) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_plain_bytes_and_paths_pass_through(tmp_path):
    data = (FIXTURES / "stix_bundle.json").read_bytes()
    assert read_limited(data, max_bytes=MIB, max_expanded_bytes=MIB) == data
    assert (
        read_limited(FIXTURES / "stix_bundle.json", max_bytes=MIB, max_expanded_bytes=MIB) == data
    )
    assert (
        read_limited(str(FIXTURES / "stix_bundle.json"), max_bytes=MIB, max_expanded_bytes=MIB)
        == data
    )


def test_oversized_input_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b"[" + b" " * 2000 + b"]")
    with pytest.raises(ImportFormatError, match="over the limit"):
        read_limited(path, max_bytes=1000, max_expanded_bytes=MIB)
    with pytest.raises(ImportFormatError, match="over the limit"):
        read_limited(path.read_bytes(), max_bytes=1000, max_expanded_bytes=MIB)


def test_missing_file_is_a_format_error(tmp_path):
    with pytest.raises(ImportFormatError, match="Cannot read"):
        read_limited(tmp_path / "absent.xml", max_bytes=MIB, max_expanded_bytes=MIB)


def test_gzip_is_decompressed_by_magic_not_name(tmp_path):
    data = (FIXTURES / "un_small.xml").read_bytes()
    path = tmp_path / "list.bin"  # no .gz suffix
    path.write_bytes(gzip.compress(data))
    assert read_limited(path, max_bytes=MIB, max_expanded_bytes=MIB) == data
    two_members = gzip.compress(b"abc") + gzip.compress(b"def")
    assert read_limited(two_members, max_bytes=MIB, max_expanded_bytes=MIB) == b"abcdef"


def test_gzip_bomb_is_stopped_early():
    bomb = gzip.compress(b"\0" * (64 * MIB), compresslevel=9)
    assert len(bomb) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(ImportFormatError, match="compression bomb"):
            read_limited(bomb, max_bytes=MIB, max_expanded_bytes=MIB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * MIB  # never holds the 64 MiB output


def test_damaged_gzip_is_refused():
    data = gzip.compress(b"x" * 10_000)
    with pytest.raises(ImportFormatError, match="damaged or truncated"):
        read_limited(data[:-20], max_bytes=MIB, max_expanded_bytes=MIB)


def test_single_member_zip_is_decompressed():
    data = (FIXTURES / "ftm_entities.jsonl").read_bytes()
    archive = _zip({"folder/": b"", "folder/entities.jsonl": data})
    assert read_limited(archive, max_bytes=MIB, max_expanded_bytes=MIB) == data


def test_zip_with_several_members_is_refused():
    with pytest.raises(ImportFormatError, match="holds 2 files"):
        read_limited(
            _zip({"a.json": b"[]", "b.json": b"[]"}), max_bytes=MIB, max_expanded_bytes=MIB
        )
    with pytest.raises(ImportFormatError, match="holds 0 files"):
        read_limited(_zip({}), max_bytes=MIB, max_expanded_bytes=MIB)


@pytest.mark.parametrize("name", ["../evil.json", "/etc/evil.json", "a/../../evil.json", "C:evil"])
def test_zip_path_traversal_is_refused(name):
    with pytest.raises(ImportFormatError, match="path-traversal"):
        read_limited(_zip({name: b"[]"}), max_bytes=MIB, max_expanded_bytes=MIB)


def test_zip_bomb_is_stopped_early():
    bomb = _zip({"zeros.json": b"\0" * (64 * MIB)})
    with pytest.raises(ImportFormatError, match="compression bomb"):
        read_limited(bomb, max_bytes=MIB, max_expanded_bytes=MIB)


def test_zip_lying_about_its_size_is_stopped_while_streaming():
    archive = bytearray(_zip({"zeros.json": b"\0" * (4 * MIB)}))
    # Patch the declared uncompressed size (local header and central directory) to 10 bytes.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = archive.find(signature)
        archive[at + offset : at + offset + 4] = (10).to_bytes(4, "little")
    with pytest.raises(ImportFormatError, match=r"compression bomb|Cannot decompress"):
        read_limited(bytes(archive), max_bytes=MIB, max_expanded_bytes=MIB)


def test_encrypted_zip_is_refused():
    archive = bytearray(_zip({"secret.json": b"[]"}))
    # Set the "encrypted" general-purpose flag bit in both headers, as a ZipCrypto archive has it.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = archive.find(signature)
        archive[at + offset] |= 0x1
    with pytest.raises(ImportFormatError, match="encrypted"):
        read_limited(bytes(archive), max_bytes=MIB, max_expanded_bytes=MIB)


def test_damaged_zip_is_refused():
    with pytest.raises(ImportFormatError, match="damaged"):
        read_limited(b"PK\x03\x04" + b"\0" * 100, max_bytes=MIB, max_expanded_bytes=MIB)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("un_small.xml", "un-xml"),
        ("ftm_entities.jsonl", "ftm"),
        ("ftm_array.json", "ftm"),
        ("stix_bundle.json", "stix"),
        ("stix_array.json", "stix"),
        ("stix_single.json", "stix"),
        ("stix_malformed.json", None),
    ],
)
def test_detect_format(name, expected):
    assert detect_format((FIXTURES / name).read_bytes()) == expected


@pytest.mark.parametrize("data", [b"", b"hello", b"<html></html>", b"{}", b"[1, 2]", b"\xff\xfe"])
def test_detect_format_unknown(data):
    assert detect_format(data) is None


def test_parse_dispatches_and_rejects_unknown_formats():
    assert FORMATS == ("stix", "ftm", "un-xml")
    stix = parse("stix", (FIXTURES / "stix_single.json").read_bytes(), created_by_ref=NODE)
    assert stix.format == "stix" and len(stix.objects) == 1
    ftm = parse(
        "ftm",
        (FIXTURES / "ftm_array.json").read_bytes(),
        created_by_ref=NODE,
        marking_refs=["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"],
    )
    assert ftm.format == "ftm" and len(ftm.objects) == 3
    assert all(o["object_marking_refs"] for o in ftm.objects)
    with pytest.raises(ImportFormatError, match="stix, ftm, un-xml"):
        parse("misp", b"{}", created_by_ref=NODE)
