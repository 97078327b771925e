"""The research status of each issuer's U.S. subsidiaries (issue #11), as `build.py` writes it from COVERAGE.md:
what a screening `pass` for the issuer rests on besides its own names."""

from __future__ import annotations

from pathlib import Path

from datasets.ingest import Kind, SourceMeta, own_format
from datasets.sources.coverage.build import STATUSES
from datasets.sql import FieldSpec, check_in, check_known_issuer, check_required, lower_text, text

META = SourceMeta.from_yaml(Path(__file__).with_name("source.yml"))

RESEARCH_FIELDS: FieldSpec = {
    "issuer_id": lower_text,
    "research_status": lower_text,
    "coverage_table": text,
    "curation_notes": text,
}
RESEARCH = own_format(
    name="registry_issuer_research",
    description="exposure-screen research status of issuers' U.S. subsidiaries (issuer_id, research_status, ...)",
    table="issuer_research",
    key="issuer_id",
    spec=RESEARCH_FIELDS,
    checks=(
        check_required("issuer_id"),
        check_known_issuer("issuer_id"),
        check_in("research_status", STATUSES),
        check_required("coverage_table"),
    ),
    meta=META,
)

KINDS: tuple[Kind, ...] = (RESEARCH,)
# Statuses refer to universe issuers, so they load after the issuers.
BUNDLED_FILES: tuple[tuple[str, Kind], ...] = (("issuer_research.csv", RESEARCH),)
