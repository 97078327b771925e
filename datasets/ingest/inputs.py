"""Opening what is handed to a load: a plain CSV, a .csv.gz, or a .zip archive of CSVs.

DuckDB reads plain and gzipped CSVs in place; zip members are extracted to a temporary folder first. A zip
is checked before anything is extracted, and again while it streams, so that a small archive cannot fill
the disk: no member may expand more than MAX_COMPRESSION_RATIO times, nor the whole archive beyond
MAX_UNZIPPED_BYTES. A file whose lines end in LF but which holds a bare carriage return (one no LF follows) is
read through a copy with each such carriage return marked (see BARE_CR_MARK).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import itertools
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from datasets.errors import LoadError

# What the members of one archive may expand to in all: they are written to the temporary folder.
MAX_UNZIPPED_BYTES = 64 * 2**30
# CSV deflates about 10:1 (USAspending's downloads 10-13:1); a zip bomb deflates about 1000:1.
MAX_COMPRESSION_RATIO = 100.0
# A member expanding to less than this cannot hurt whatever its ratio, and tiny repetitive CSVs deflate well.
SMALL_MEMBER_BYTES = 1 << 20
_COPY_CHUNK_BYTES = 1 << 20

# DuckDB's reader ends a line at any carriage return, even inside an unquoted field of an LF file, where it cuts
# the row in two (or stops the file). In the copy it reads, each bare carriage return becomes a field break and
# U+FFFF (a noncharacter, never in text): inside quotes the mark is data, turned back into the carriage return;
# in an unquoted field it adds a column, so the reader sets that one row aside, at its true line.
BARE_CR_MARK = ",\uffff"
_BARE_CR = re.compile(rb"\r(?!\n)")


@dataclass(frozen=True)
class CsvInput:
    """One CSV stream to load: a path DuckDB can read directly, and the name to report."""

    path: Path
    display_name: str


@contextmanager
def csv_inputs(
    path: Path,
    *,
    display_name: str | None = None,
    max_unzipped_bytes: int = MAX_UNZIPPED_BYTES,
    max_compression_ratio: float = MAX_COMPRESSION_RATIO,
) -> Iterator[list[CsvInput]]:
    """Yield the CSVs inside `path`, reported as `display_name` (its file name by default); zip members
    are extracted to a temporary folder, removed on exit, and reported as `<archive>:<member>`."""
    name = display_name or path.name
    if not path.exists():
        raise LoadError(f"{path}: no such file")
    if path.is_dir():
        raise LoadError(f"{path} is a folder; pass the files in it (e.g. {path}/*.csv)")
    if path.suffix.lower() != ".zip":
        yield [CsvInput(path, name)]
        return
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise LoadError(f"{path}: not a readable zip archive ({exc})") from exc
    with archive, tempfile.TemporaryDirectory(prefix="exposure-zip-") as tmp:
        members = [m for m in archive.infolist() if not m.is_dir() and m.filename.lower().endswith(".csv")]
        if not members:
            raise LoadError(f"{path}: the archive holds no .csv file")
        archive_bytes = path.stat().st_size
        check_declared_sizes(path.name, archive_bytes, members, max_unzipped_bytes, max_compression_ratio)
        # Checked again while streaming, against the bytes on disk: they cannot lie as headers can.
        limit = unzipped_limit(archive_bytes, max_unzipped_bytes, max_compression_ratio)
        inputs, extracted = [], 0
        for index, member in enumerate(members):
            target = Path(tmp) / f"{index:04d}_{Path(member.filename).name}"
            extracted += _extract(archive, member, target, limit - extracted, path.name)
            inputs.append(CsvInput(target, f"{name}:{member.filename}"))
        yield inputs


def unzipped_limit(archive_bytes: int, max_unzipped_bytes: int, max_compression_ratio: float) -> int:
    """The most an archive of `archive_bytes` may expand to, all its members together."""
    return min(max_unzipped_bytes, max(round(archive_bytes * max_compression_ratio), SMALL_MEMBER_BYTES))


def check_declared_sizes(
    archive_name: str,
    archive_bytes: int,
    members: Sequence[zipfile.ZipInfo],
    max_unzipped_bytes: int,
    max_compression_ratio: float,
) -> None:
    """Refuse an archive, before extracting anything, when its headers declare a member that expands more
    than `max_compression_ratio` times, or members that expand beyond the archive's limit in all."""
    limit = unzipped_limit(archive_bytes, max_unzipped_bytes, max_compression_ratio)
    total = 0
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > SMALL_MEMBER_BYTES and ratio > max_compression_ratio:
            raise LoadError(
                f"{archive_name}: member {member.filename} expands from {member.compress_size:,} to "
                f"{member.file_size:,} bytes ({ratio:,.0f} times); the limit is {max_compression_ratio:,.0f} "
                "times, so nothing was extracted"
            )
        total += member.file_size
        if total > limit:
            raise LoadError(
                f"{archive_name}: member {member.filename} ({member.file_size:,} bytes unzipped) takes the "
                f"archive to {total:,} bytes unzipped; the limit is {limit:,} bytes (at most "
                f"{max_compression_ratio:,.0f} times the archive's {archive_bytes:,} bytes, and "
                f"{max_unzipped_bytes:,} in all), so nothing was extracted"
            )


def _extract(archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, allowed: int, archive_name: str) -> int:
    """Copy one member to `target` by streaming, refusing it as soon as it writes more than `allowed` bytes
    (what the archive's limit leaves); returns the bytes written."""
    written = 0
    try:
        with archive.open(member) as src, target.open("wb") as dst:
            while chunk := src.read(_COPY_CHUNK_BYTES):
                written += len(chunk)
                if written > allowed:
                    raise LoadError(
                        f"{archive_name}: member {member.filename} expanded past the archive's limit while "
                        f"unzipping ({allowed:,} bytes left for it) although its header declares "
                        f"{member.compress_size:,} bytes compressed and {member.file_size:,} unzipped; the "
                        "headers are wrong, so it was not loaded"
                    )
                dst.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise LoadError(f"{archive_name}: member {member.filename} is corrupt or unreadable ({exc})") from exc
    return written


@contextmanager
def bare_carriage_returns_marked(source: CsvInput) -> Iterator[CsvInput | None]:
    """None when `source` holds no bare carriage return in lines ending in LF; otherwise a plain copy of it
    with each one marked (BARE_CR_MARK), reported under the same name and removed on exit."""
    if not has_bare_carriage_return(source.path):
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="exposure-cr-") as tmp:
        target = Path(tmp) / "marked.csv"
        try:
            with open_bytes(source.path) as raw, target.open("wb") as out:
                for chunk in _chunks_keeping_crlf_whole(raw):
                    out.write(_BARE_CR.sub(BARE_CR_MARK.encode("utf-8"), chunk))
        except (OSError, EOFError, zlib.error) as exc:
            raise LoadError(f"{source.display_name}: I/O error while loading, nothing kept ({exc})") from exc
        yield CsvInput(target, source.display_name)


def has_bare_carriage_return(path: Path) -> bool:
    """Whether the file's lines end in LF (or CRLF) and a carriage return stands anywhere else. A file whose
    lines end in a bare carriage return is read as it is; one unreadable to its end is left to the load to
    report."""
    try:
        with open_bytes(path) as raw:
            chunks = _chunks_keeping_crlf_whole(raw)
            first = next(chunks, b"")
            first_cr, first_lf = first.find(b"\r"), first.find(b"\n")
            if first_cr != -1 and (first_lf == -1 or first_cr < first_lf - 1):
                return False  # the header ends in a bare carriage return: that is how this file ends its lines
            return any(b"\r" in chunk and _BARE_CR.search(chunk) for chunk in itertools.chain([first], chunks))
    except (OSError, EOFError, zlib.error):
        return False


def _chunks_keeping_crlf_whole(raw: IO[bytes]) -> Iterator[bytes]:
    """The stream in chunks, none ending in a carriage return that the next chunk's LF would complete."""
    carry = b""
    while chunk := raw.read(_COPY_CHUNK_BYTES):
        chunk, carry = carry + chunk, b""
        if chunk.endswith(b"\r"):
            chunk, carry = chunk[:-1], b"\r"
        yield chunk
    if carry:
        yield carry


def open_bytes(path: Path) -> IO[bytes]:
    """The file's bytes, gunzipped when it is a .gz; the caller closes the stream."""
    return cast(IO[bytes], gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb"))


def open_text(path: Path) -> IO[str]:
    """The file as UTF-8 text (a byte-order mark dropped); the caller closes the wrapper, which closes the file."""
    return io.TextIOWrapper(open_bytes(path), encoding="utf-8-sig", errors="replace", newline="")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_COPY_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()
