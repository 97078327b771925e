"""Opening what is handed to a load: a plain CSV, a .csv.gz, or a .zip archive of CSVs.

DuckDB reads plain and gzipped CSVs in place; zip members are extracted to a temporary folder first.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from datasets.errors import LoadError

_COPY_CHUNK_BYTES = 1 << 20


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
        inputs = []
        for index, member in enumerate(members):
            target = Path(tmp) / f"{index:04d}_{Path(member.filename).name}"
            with archive.open(member) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst, length=_COPY_CHUNK_BYTES)
            inputs.append(CsvInput(target, f"{name}:{member.filename}"))
        yield inputs


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
