"""The account of one file's load: every row read is inserted, updated, a duplicate, or quarantined."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LoadReport:
    file_name: str
    kind: str
    source_id: int | None
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_duplicate: int = 0
    rows_quarantined: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    already_loaded: bool = False

    @property
    def balanced(self) -> bool:
        accounted = self.rows_inserted + self.rows_updated + self.rows_duplicate + self.rows_quarantined
        return self.rows_read == accounted
