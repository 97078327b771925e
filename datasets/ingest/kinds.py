"""File kinds: what each source's files look like, and recognising which kind a header belongs to."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from datasets.errors import UnknownFormatError
from datasets.sql import FieldSpec, fields_from, same_named_columns


@dataclass(frozen=True)
class SourceMeta:
    """What a source folder's source.yml declares: who publishes it, where, under which licence."""

    name: str
    title: str
    publisher: str
    url: str
    licence: str
    expected_rows: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, path: Path) -> SourceMeta:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls(
            name=str(raw["name"]),
            title=str(raw["title"]),
            publisher=str(raw["publisher"]),
            url=str(raw["url"]),
            licence=str(raw["licence"]),
            expected_rows={str(k): int(v) for k, v in (raw.get("expected_rows") or {}).items()},
        )


@dataclass(frozen=True)
class Kind:
    """One file format: how to recognise it and how its raw VARCHAR columns become a table's rows.

    `required` lists the header columns the format must have; each entry is a tuple of accepted spellings
    (the first is the canonical name the SQL uses). `fields` maps target columns to SQL over the canonical
    raw columns; `checks` quarantine a row when their condition holds, with the first failing reason.
    """

    name: str
    description: str
    table: str
    key: str
    required: tuple[tuple[str, ...], ...]
    fields: tuple[tuple[str, str], ...]
    checks: tuple[tuple[str, str], ...]
    meta: SourceMeta
    known_columns: tuple[str, ...] = ()
    renames: tuple[tuple[str, str], ...] = ()
    source_kind_column: bool = True
    # Set-wise work that derives other tables from this one, run in the same transaction as the load.
    after_load: Callable[[duckdb.DuckDBPyConnection, int], None] | None = None

    @property
    def required_names(self) -> list[str]:
        return [names[0] for names in self.required]

    def missing_from(self, header: Sequence[str]) -> list[str]:
        present = set(header)
        return [names[0] for names in self.required if not present.intersection(names)]

    def canonical_header(self, header: Sequence[str]) -> list[str]:
        """The header with accepted alternative spellings renamed to their canonical name."""
        alternatives = {alt: names[0] for names in self.required for alt in names[1:]}
        renames = dict(self.renames)
        canonical = (alternatives.get(column, column) for column in header)
        return [renames.get(column, column) for column in canonical]

    def unknown_columns(self, header: Sequence[str]) -> list[str]:
        if not self.known_columns:
            return []
        known = (
            set(self.known_columns)
            | {alt for names in self.required for alt in names}
            | {raw for raw, _canonical in self.renames}
        )
        return [column for column in header if column not in known]


def one_spelling_each(*columns: str) -> tuple[tuple[str, ...], ...]:
    """`Kind.required` for columns that have a single accepted spelling each."""
    return tuple((column,) for column in columns)


def own_format(
    *,
    name: str,
    description: str,
    table: str,
    key: str,
    spec: FieldSpec,
    checks: tuple[tuple[str, str], ...],
    meta: SourceMeta,
    required: Sequence[str] | None = None,
) -> Kind:
    """A format of the project's own, whose header is the raw columns `spec` reads under the fields' own names:
    all of them required unless `required` names some. Its table has no source_kind column (it is fed by this
    format alone)."""
    header = same_named_columns(spec)
    return Kind(
        name=name,
        description=description,
        table=table,
        key=key,
        required=one_spelling_each(*(header if required is None else required)),
        fields=fields_from(spec),
        checks=checks,
        meta=meta,
        known_columns=header,
        source_kind_column=False,
    )


def detect_kind(header: Sequence[str], kinds: Sequence[Kind], file_name: str) -> Kind:
    """The kind whose required columns are all present (the most specific one if several are);
    otherwise refuse the file, naming the closest kind and what it lacks."""
    matching = [kind for kind in kinds if not kind.missing_from(header)]
    if matching:
        return max(matching, key=lambda kind: len(kind.required))

    def closeness(kind: Kind) -> float:
        return 1 - len(kind.missing_from(header)) / len(kind.required)

    closest = max(kinds, key=closeness)
    missing = closest.missing_from(header)
    shown = ", ".join(missing[:12]) + (f" and {len(missing) - 12} more" if len(missing) > 12 else "")
    raise UnknownFormatError(
        f"{file_name}: header matches no known kind; the closest is {closest.name} "
        f"({closest.description}), which also needs: {shown}"
    )
