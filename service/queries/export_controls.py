"""The export-control lens, read side: which firms supplied goods that suggest an Export Control List (ECL)
item to DHS components, with the awards, dates, dollars and agencies behind each line, and where the goods
were reportedly made. Returns models; raises data-layer errors, never HTTP ones."""

from __future__ import annotations

from typing import Any

from service.db import Cursor
from service.models import ExportControlEntry, Snapshot

PERMALINK = "https://www.usaspending.gov/award/{}/"
CANADA = "CAN"
INDICATIVE = (
    "Indicative: the goods' description suggests this ECL item; a permit decision rests on the exact "
    "specification. Most Group 2 items need no Canadian permit for export to the United States."
)


_ENTRIES = """
WITH c AS (
    SELECT * FROM contributions
    WHERE as_of = ? AND methodology_version = ? AND ecl_item IS NOT NULL {filters}
),
-- An award that netted to zero or less (cancelled, de-obligated) is no evidence that anything was supplied.
supplied AS (
    SELECT firm_id, ecl_item, award_key FROM c
    WHERE link_kind <> 'evidence' AND award_key IS NOT NULL
    GROUP BY ALL HAVING sum(share_amount) > 0
),
kept AS (
    SELECT c.* FROM c LEFT JOIN supplied s USING (firm_id, ecl_item, award_key)
    WHERE c.link_kind = 'evidence' OR s.award_key IS NOT NULL
)
SELECT k.firm_id,
       coalesce(any_value(sc.firm_name), any_value(f.name)) AS firm_name,
       k.ecl_item,
       min(k.wassenaar_item) AS wassenaar_item,
       min(k.ecl_label) AS ecl_label,
       coalesce(CAST(sum(k.share_amount) FILTER (WHERE k.link_kind <> 'evidence') AS DOUBLE), 0) AS amount,
       list_sort(list_distinct(list(k.award_key) FILTER (WHERE k.link_kind <> 'evidence'))) AS award_keys,
       list_sort(list_distinct(list(k.source_url) FILTER (WHERE k.link_kind = 'evidence'))) AS documents,
       list_sort(list_distinct(list(k.source_key) FILTER (WHERE k.link_kind = 'evidence'))) AS evidence_ids,
       min(k.link_date) AS first_date,
       max(k.link_date) AS last_date,
       list_sort(list_distinct(list(k.agency_code))) AS agency_codes,
       list_sort(list_distinct(list(a.name))) AS agencies,
       list_sort(list_distinct(list(k.via_firm_id))) AS via_firm_ids,
       count(*) AS records,
       list_sort(list_distinct(list(k.ecl_rule_id))) AS rule_ids
FROM kept k
LEFT JOIN scores sc ON sc.firm_id = k.firm_id AND sc.as_of = k.as_of AND sc.methodology_version = k.methodology_version
LEFT JOIN firms f ON f.firm_id = k.firm_id
LEFT JOIN agencies a ON a.agency_code = k.agency_code
GROUP BY k.firm_id, k.ecl_item
ORDER BY amount DESC, k.firm_id, k.ecl_item
"""


def _origins(cur: Cursor) -> list[dict[str, Any]]:
    return cur.rows(
        "SELECT evidence_id, award_key, goods_origin, url FROM evidence WHERE goods_origin IS NOT NULL "
        "ORDER BY evidence_id"
    )


def export_controls(
    cur: Cursor, snapshot: Snapshot, agency_code: str | None = None, ecl_item: str | None = None
) -> list[ExportControlEntry]:
    """Every (firm, ECL item) of the snapshot, most dollars first; optionally one agency's records or one item."""
    filters, params = "", [snapshot.as_of, snapshot.methodology_version]
    if agency_code is not None:
        filters += " AND agency_code = ?"
        params.append(agency_code)
    if ecl_item is not None:
        filters += " AND ecl_item = ?"
        params.append(ecl_item)
    origins = _origins(cur)
    entries = []
    for row in cur.rows(_ENTRIES.format(filters=filters), params):
        award_keys: list[str] = row["award_keys"] or []
        evidence_ids = set(row.pop("evidence_ids") or [])
        # A document says where the goods were made when it is about one of these awards or is one of the records.
        said = [o for o in origins if o["award_key"] in award_keys or o["evidence_id"] in evidence_ids]
        reported = sorted({o["goods_origin"] for o in said})
        fields: dict[str, Any] = {key: value or [] if key in _LISTS else value for key, value in row.items()}
        entries.append(
            ExportControlEntry(
                **fields,
                ecl_group=row["ecl_item"].split("-", 1)[0],
                award_urls=[PERMALINK.format(key) for key in award_keys],
                made_in_canada=None if not reported or len(reported) > 1 else reported == [CANADA],
                reported_origins=reported,
                origin_sources=sorted({o["url"] for o in said}),
            )
        )
    return entries


_LISTS = {"award_keys", "documents", "agency_codes", "agencies", "via_firm_ids", "rule_ids"}
