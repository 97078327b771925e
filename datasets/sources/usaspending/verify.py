"""Verifying a download before anything uses it: the size the server declared, and every zip member's CRC."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from datasets.errors import FetchError
from datasets.sources.usaspending.download import file_size


def verify_download(path: Path, expected_size: int | None) -> None:
    """Refuse a file whose size differs from the declared one, or a zip whose members fail their CRC check."""
    size = file_size(path)
    if expected_size is not None and size != expected_size:
        raise FetchError(f"{path.name}: got {size:,} bytes but USAspending declared {expected_size:,}")
    if not path.name.lower().removesuffix(".part").endswith(".zip"):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise FetchError(f"{path.name}: not a complete, readable zip archive ({exc})") from exc
    if bad is not None:
        raise FetchError(f"{path.name}: archive member {bad} is corrupt (CRC check failed)")
