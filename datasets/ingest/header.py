"""Reading a CSV's header row, refusing what is not a comma-separated UTF-8 file with distinct column names."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from datasets.errors import LoadError
from datasets.ingest.inputs import open_bytes, open_text

# Delimiters other than the comma that exports use, with the name to show.
_OTHER_DELIMITERS = {";": "';'", "\t": "tab", "|": "'|'"}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def other_delimiter(fields: Sequence[str]) -> str | None:
    """The delimiter that splits the header more than commas do, if one does."""
    if not fields:
        return None
    commas = len(fields) - 1
    counts = {d: sum(f.count(d) for f in fields) for d in _OTHER_DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > commas else None


def read_header(path: Path) -> list[str]:
    """The header row, checked: a comma-separated, UTF-8 CSV with at least two distinct column names."""
    try:
        with open_bytes(path) as raw:
            start = raw.read(4)
        if start.startswith(_UTF16_BOMS):
            raise LoadError(f"{path.name}: the file is UTF-16 encoded; expected UTF-8 (re-export it as CSV UTF-8)")
        with open_text(path) as handle:
            try:
                row = next(csv.reader(handle))
            except StopIteration:
                raise LoadError(f"{path.name}: the file is empty (no header row)") from None
            except csv.Error as exc:
                raise LoadError(f"{path.name}: the header row is not valid CSV ({exc})") from exc
    except (OSError, EOFError) as exc:  # unreadable, or a .gz that is not gzip
        raise LoadError(f"{path.name}: the file cannot be read ({exc})") from exc
    header = [column.strip() for column in row]
    delimiter = other_delimiter(header)
    if delimiter is not None:
        shown = _OTHER_DELIMITERS[delimiter]
        parts = sum(f.count(delimiter) for f in header) + 1
        raise LoadError(
            f"{path.name}: expected a comma-separated file; this one looks {shown}-separated "
            f"(its header splits into {parts} columns on {shown}); re-export it with commas"
        )
    if len(header) <= 1:
        raise LoadError(
            f"{path.name}: the header has {len(header)} column; expected a comma-separated CSV (got {row[0][:80]!r}...)"
            if header
            else f"{path.name}: the header row is blank"
        )
    seen: set[str] = set()
    duplicated = [c for c in header if c in seen or seen.add(c)]  # type: ignore[func-returns-value]
    if duplicated:
        raise LoadError(f"{path.name}: duplicate column names in the header: {', '.join(sorted(set(duplicated)))}")
    return header
