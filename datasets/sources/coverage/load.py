"""What the research of issuers' U.S. subsidiaries (issue #11) left: each issuer's research status, as `build.py`
writes it from COVERAGE.md (what a screening `pass` rests on besides the issuer's own names), and the leads it
could not settle, vendors of the records that may be an issuer's (`review_leads.csv`, curated): the review queue
offers them, and nothing counts until an analyst confirms."""

from __future__ import annotations

from pathlib import Path

from datasets.ingest import Kind, SourceMeta, own_format
from datasets.sources.coverage.build import STATUSES
from datasets.sql import FieldSpec, check_in, check_known_issuer, check_required, lower_text, text, upper_text

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

LEAD_FIELDS: FieldSpec = {
    "recipient_name": upper_text,
    "issuer_id": lower_text,
    "lead": text,
    "source_url": text,
    "source_publisher": text,
}
LEADS = own_format(
    name="registry_review_leads",
    description="exposure-screen unsettled leads: vendors that may be an issuer's (recipient_name, issuer_id, lead)",
    table="review_leads",
    key="recipient_name",
    spec=LEAD_FIELDS,
    checks=(
        check_required("recipient_name"),
        check_required("issuer_id"),
        check_known_issuer("issuer_id"),
        check_required("lead", "lead (why the vendor may be the issuer's, and what is missing)"),
        check_required("source_url"),
    ),
    meta=META,
)

KINDS: tuple[Kind, ...] = (RESEARCH, LEADS)
# Both refer to universe issuers, so they load after the issuers.
BUNDLED_FILES: tuple[tuple[str, Kind], ...] = (("issuer_research.csv", RESEARCH), ("review_leads.csv", LEADS))
