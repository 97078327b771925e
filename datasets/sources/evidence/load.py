"""Curated evidence: company-agency links reported in documents (news, filings), summarised in our own words."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from datasets.ingest import Kind, SourceMeta, own_format
from datasets.sql import (
    ISO_DATE,
    check_date,
    check_fraction,
    check_in,
    check_known_firm,
    check_money,
    check_required,
    date,
    fraction,
    lower_text,
    money,
    text,
    upper_text,
)

EVENT_DATE_FORMATS = (ISO_DATE, "%Y-%m", "%Y")
META = SourceMeta.from_yaml(Path(__file__).with_name("source.yml"))

EVIDENCE_KINDS = ("contract", "property", "software", "export")
STATUSES = ("reported", "intended", "active", "completed", "cancelled")
CHANNELS = ("direct", "reseller", "joint_venture")
CONFIDENCE = ("high", "medium", "low")

EVIDENCE = own_format(
    name="evidence",
    description="exposure-screen curated evidence (evidence_id, firm_id, kind, status, channel, url, ...)",
    table="evidence",
    key="evidence_id",
    required=(
        "evidence_id",
        "firm_id",
        "agency_code",
        "kind",
        "status",
        "channel",
        "amount",
        "currency",
        "event_date",
        "summary",
        "publisher",
        "url",
        "confidence",
    ),
    spec={
        "evidence_id": lower_text,
        "firm_id": lower_text,
        "agency_code": text,
        "kind": lower_text,
        "category": lower_text,
        "status": lower_text,
        "channel": lower_text,
        "channel_party": text,
        "channel_share": fraction,
        "amount": money,
        "currency": upper_text,
        # A pilot known only by its month ("2025-09") or year is dated at that precision, not dropped.
        "event_date": partial(date, formats=EVENT_DATE_FORMATS),
        "event_date_precision": (
            f"CASE length({text('event_date')}) WHEN 7 THEN 'month' WHEN 4 THEN 'year' "
            f"ELSE CASE WHEN {text('event_date')} IS NOT NULL THEN 'day' END END"
        ),
        "summary": text,
        "publisher": text,
        "published_date": date,
        "url": text,
        "confidence": lower_text,
        "company_response": text,
        "award_key": text,
        # Where the document says the goods were made (ISO 3166 alpha-3), for the export-control lens.
        "goods_origin": upper_text,
    },
    checks=(
        check_required("evidence_id"),
        check_required("firm_id"),
        check_known_firm("firm_id"),
        check_in("kind", EVIDENCE_KINDS),
        check_in("status", STATUSES),
        check_in("channel", CHANNELS),
        check_fraction("channel_share"),
        check_money("amount"),
        (f"{text('amount')} IS NOT NULL AND {text('currency')} IS NULL", "'amount given without a currency'"),
        check_date("event_date", EVENT_DATE_FORMATS),
        check_date("published_date"),
        check_required("summary"),
        check_required("publisher"),
        check_required("url", "source url"),
        check_in("confidence", CONFIDENCE),
        (
            f"{text('goods_origin')} IS NOT NULL AND NOT regexp_full_match({upper_text('goods_origin')}, '[A-Z]{{3}}')",
            "'goods_origin is not a 3-letter country code'",
        ),
    ),
    meta=META,
)

KINDS: tuple[Kind, ...] = (EVIDENCE,)
BUNDLED_FILES: tuple[tuple[str, Kind], ...] = (("evidence.csv", EVIDENCE),)
