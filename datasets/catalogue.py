"""Every file kind the store knows, and the bundled default data in the order it loads."""

from __future__ import annotations

from pathlib import Path

from datasets.ingest import Kind
from datasets.sources.coverage import load as coverage
from datasets.sources.evidence import load as evidence
from datasets.sources.gleif import load as gleif
from datasets.sources.goc_contracts import load as goc_contracts
from datasets.sources.issuers import load as issuers
from datasets.sources.registry import load as registry
from datasets.sources.usaspending import load as usaspending

BUNDLED_DATA = Path(__file__).with_name("data")

KINDS: tuple[Kind, ...] = (
    *usaspending.KINDS,
    *registry.KINDS,
    *issuers.KINDS,
    *coverage.KINDS,
    *evidence.KINDS,
    *gleif.KINDS,
    *goc_contracts.KINDS,
)

# Firms load before the aliases, identifiers, ownership and evidence that refer to them; issuers before their
# research status.
BUNDLED_FILES: tuple[tuple[str, Kind], ...] = (
    *registry.BUNDLED_FILES,
    *issuers.BUNDLED_FILES,
    *coverage.BUNDLED_FILES,
    *evidence.BUNDLED_FILES,
)


def expected_rows(file_name: str) -> int | None:
    """Rows the source metadata expects in a known public file, if it names it."""
    for kind in KINDS:
        if file_name in kind.meta.expected_rows:
            return kind.meta.expected_rows[file_name]
    return None
