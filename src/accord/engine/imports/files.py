"""Reading an uploaded or named file safely, and telling which importer it is for.

:func:`read_limited` refuses oversized input before reading it, and decompresses gzip and
single-member zip archives (recognised by their magic bytes, not their names) as a stream with a
running count, so a compression bomb is stopped as soon as its output passes the limit, without
ever holding the whole output in memory.
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Final, Literal

from accord.engine.imports.result import ImportFormatError
from accord.engine.json_input import JsonInputError, parse_json

__all__ = ["FormatName", "detect_format", "looks_like", "read_limited", "require_content"]

FormatName = Literal["stix", "ftm", "un-xml"]

_GZIP_MAGIC: Final = b"\x1f\x8b"
_ZIP_MAGICS: Final = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_CHUNK: Final = 1 << 16
#: A UTF-8 byte-order mark and white space: what may stand before a file's first character.
_LEADING: Final = b"\xef\xbb\xbf \t\r\n"
_HINTS: Final[dict[str, str]] = {
    "stix": "it looks like STIX 2.1 JSON (objects with a 'type'); import it with the stix format",
    "ftm": "it looks like FollowTheMoney entities; import it with the ftm format",
    "un-xml": (
        "it looks like the UN Security Council Consolidated List; import it with the un-xml format"
    ),
}


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB" if size >= (1 << 20) else f"{size} bytes"


def read_limited(
    path_or_bytes: str | os.PathLike[str] | bytes, *, max_bytes: int, max_expanded_bytes: int
) -> bytes:
    """The content of a file (or of the bytes given), decompressed when it is gzip or zip.

    Raises :class:`ImportFormatError` when the input is larger than ``max_bytes``, when its
    decompressed content would pass ``max_expanded_bytes``, or when a zip archive is encrypted,
    holds more than one file, or names its file with an absolute or ``..`` path.
    """
    if isinstance(path_or_bytes, bytes):
        raw = path_or_bytes
        if len(raw) > max_bytes:
            raise ImportFormatError(
                f"The input is {_mib(len(raw))}, over the limit of {_mib(max_bytes)}; "
                "split it or ask an administrator to raise the import limit."
            )
    else:
        path = Path(path_or_bytes)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise ImportFormatError(
                    f"{path.name} is {_mib(size)}, over the limit of {_mib(max_bytes)}; "
                    "split it or ask an administrator to raise the import limit."
                )
            with path.open("rb") as handle:
                raw = handle.read(max_bytes + 1)
        except OSError as exc:
            raise ImportFormatError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        if len(raw) > max_bytes:  # grew while being read
            raise ImportFormatError(
                f"{path.name} is over the limit of {_mib(max_bytes)}; split it."
            )
    if raw.startswith(_GZIP_MAGIC):
        return _gunzip(raw, max_expanded_bytes)
    if raw.startswith(_ZIP_MAGICS):
        return _unzip(raw, max_expanded_bytes)
    return raw


def _too_big(limit: int, what: str) -> ImportFormatError:
    return ImportFormatError(
        f"The {what} expands to more than {_mib(limit)}, over the limit for decompressed "
        "imports (a compression bomb, or a file too large to import in one go); refused."
    )


def _gunzip(raw: bytes, limit: int) -> bytes:
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw), mode="rb") as stream:
            while chunk := stream.read(_CHUNK):
                if out.tell() + len(chunk) > limit:
                    raise _too_big(limit, "gzip file")
                out.write(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise ImportFormatError(
            f"The gzip file is damaged or truncated ({exc}); compress it again and retry."
        ) from exc
    return out.getvalue()


def _unsafe_member_name(name: str) -> bool:
    if not name or name.startswith(("/", "\\")) or "\\" in name or "\x00" in name:
        return True
    if len(name) > 1 and name[1] == ":":  # C:foo
        return True
    return ".." in PurePosixPath(name).parts


def _unzip(raw: bytes, limit: int) -> bytes:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFormatError(f"The zip archive is damaged ({exc}); rebuild it.") from exc
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) != 1:
            raise ImportFormatError(
                f"The zip archive holds {len(members)} files; import takes exactly one file "
                "per archive. Extract the files and import them one by one."
            )
        info = members[0]
        if any(_unsafe_member_name(i.filename) for i in archive.infolist()):
            raise ImportFormatError(
                f"The zip archive names a file outside its own folder ({info.filename!r}); "
                "refused as a path-traversal attempt."
            )
        if info.flag_bits & 0x1:
            raise ImportFormatError(
                f"{info.filename} in the zip archive is encrypted; decrypt it and import the "
                "plain file."
            )
        if info.file_size > limit:
            raise _too_big(limit, f"zip member {info.filename}")
        out = io.BytesIO()
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    if out.tell() + len(chunk) > limit:
                        raise _too_big(limit, f"zip member {info.filename}")
                    out.write(chunk)
        except ImportFormatError:
            raise
        except (
            zipfile.BadZipFile,
            OSError,
            EOFError,
            zlib.error,
            NotImplementedError,
            ValueError,
        ) as exc:
            raise ImportFormatError(
                f"Cannot decompress {info.filename} from the zip archive ({exc}); the archive "
                "is damaged, rebuild it."
            ) from exc
        except RuntimeError as exc:  # zipfile's "encrypted, password required"
            raise ImportFormatError(
                f"{info.filename} in the zip archive is encrypted; import the plain file."
            ) from exc
    return out.getvalue()


def _json_kind(value: object) -> FormatName | None:
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, dict)), None)
    if not isinstance(value, dict):
        return None
    if "schema" in value and "properties" in value:
        return "ftm"
    if isinstance(value.get("type"), str):
        return "stix"
    return None


def _parsed(data: bytes) -> object:
    try:
        return parse_json(data, what="file")
    except JsonInputError:
        return None


def detect_format(data: bytes) -> FormatName | None:
    """Which importer ``data`` is for: ``"stix"``, ``"ftm"``, ``"un-xml"``, or None."""
    head = data[:4096].lstrip(_LEADING)
    if head.startswith(b"<"):
        return "un-xml" if b"CONSOLIDATED_LIST" in data[:65536] else None
    if not head.startswith((b"{", b"[")):
        return None
    first_line = data.lstrip(_LEADING).split(b"\n", 1)[0]
    kind = _json_kind(_parsed(first_line))
    if kind is not None:
        return kind
    return _json_kind(_parsed(data.lstrip(_LEADING)))


def looks_like(data: bytes) -> str:
    """What ``data`` looks like, in words, for a message refusing it in another format
    (``"it looks like FollowTheMoney entities; import it with the ftm format"``)."""
    head = data[:4096].lstrip(_LEADING)
    if not head:
        return "the file is empty"
    kind = detect_format(data)
    if kind is not None:
        return _HINTS[kind]
    if head.startswith(b"<"):
        return "it is XML, but not the UN Security Council Consolidated List"
    if head.startswith((b"{", b"[")):
        return "it looks like JSON, but neither STIX nor FollowTheMoney"
    return "it is neither JSON nor XML"


def require_content(data: bytes, what: str) -> None:
    """Refuse a file that holds nothing but white space (and perhaps a byte-order mark)."""
    if not data.lstrip(_LEADING):
        raise ImportFormatError(f"The {what} is empty: there is nothing to import.")
