"""The review queue: unattributed vendors that may be Canadian-owned, ranked by dollars, each with its reasons
and award keys. Nothing here adds to a score: an analyst confirms a candidate with an override
(`exposure overrides add`), and only then does the next scoring count it.

Reasons, strongest first:
- `near_miss`: the name resembles a registry firm's (a look-alike spelling, a partial resemblance) but was not
  attributed, because a name alone is not proof;
- `issuer_name`: the vendor's name opens with a Canadian listed issuer's name, word for word;
- `foreign_owned`: the record flags a foreign-owned business incorporated in the U.S.
"""

from __future__ import annotations

import polars as pl

from scoring.matching import NameMatcher
from scoring.normalize import normalize_names
from scoring.resolve import FOREIGN_OWNED_US

MIN_ISSUER_KEY = 6  # shorter issuer names ("CAE", "BCE") open too many unrelated vendor names
MAX_AWARD_KEYS = 5

CANDIDATE_SCHEMA: dict[str, pl.DataType] = {
    "rank": pl.UInt32(),
    "recipient_name": pl.String(),
    "recipient_uei": pl.String(),
    "amount": pl.Float64(),
    "records": pl.UInt32(),
    "first_date": pl.Date(),
    "last_date": pl.Date(),
    "agencies": pl.List(pl.String),
    "reasons": pl.List(pl.String),
    "suggested_firm_id": pl.String(),
    "suggested_issuer_id": pl.String(),
    "award_keys": pl.List(pl.String),
}


def _issuer_hits(names: list[str], issuers: pl.DataFrame) -> dict[str, tuple[str, str]]:
    """Vendor name -> (issuer_id, issuer name) when the vendor's normalised name opens with the issuer's."""
    keys = normalize_names(issuers["name"].to_list())
    by_key: dict[str, tuple[str, str]] = {}
    for key, issuer_id, name in zip(keys, issuers["issuer_id"], issuers["name"], strict=True):
        if key and len(key.replace(" ", "")) >= MIN_ISSUER_KEY:
            by_key.setdefault(key, (str(issuer_id), str(name)))
    hits: dict[str, tuple[str, str]] = {}
    for raw, key in zip(names, normalize_names(names), strict=True):
        if not key:
            continue
        words = key.split()
        for n in range(len(words), 0, -1):  # the longest issuer name that opens the vendor's, word for word
            found = by_key.get(" ".join(words[:n]))
            if found:
                hits[raw] = found
                break
    return hits


def near_misses(matcher: NameMatcher, names: list[str], reason: str = "near_miss") -> dict[str, tuple[str, str]]:
    """Name -> (firm id, reason) for each unattributed name that resembles a registry firm: the matcher found
    no firm, or only a look-alike the scoring would not take on the name alone."""
    near: dict[str, tuple[str, str]] = {}
    for match in matcher.match_many(names):
        if match.candidates and (match.firm_id is None or match.features.get("look_alike")):
            top = match.candidates[0]
            near[match.query] = (top.firm_id, f"{reason}: resembles {top.alias} ({top.firm_id}, {top.confidence:.2f})")
    return near


def review_candidates(
    attributed: pl.DataFrame, matcher: NameMatcher, issuers: pl.DataFrame | None = None, limit: int | None = None
) -> pl.DataFrame:
    """One row per unattributed vendor name with at least one reason, most dollars first."""
    open_links = attributed.filter(
        pl.col("firm_id").is_null() & (pl.col("link_kind") != "evidence") & pl.col("recipient_name").is_not_null()
    )
    if open_links.is_empty():
        return pl.DataFrame(schema=CANDIDATE_SCHEMA)
    vendors = (
        open_links.group_by("recipient_name")
        .agg(
            pl.col("recipient_uei").drop_nulls().mode().first().alias("recipient_uei"),
            (pl.col("amount_cents").sum() / 100).alias("amount"),
            pl.len().cast(pl.UInt32).alias("records"),
            pl.col("link_date").min().alias("first_date"),
            pl.col("link_date").max().alias("last_date"),
            pl.col("agency_code").drop_nulls().unique().sort().alias("agencies"),
            (pl.col("domestic_or_foreign_entity") == FOREIGN_OWNED_US).any().alias("_foreign_owned"),
            pl.col("award_key").drop_nulls().unique().sort().head(MAX_AWARD_KEYS).alias("award_keys"),
        )
        .filter(pl.col("amount") > 0)
    )
    names = vendors["recipient_name"].to_list()
    near = near_misses(matcher, names)
    issuer_hits = _issuer_hits(names, issuers) if issuers is not None and not issuers.is_empty() else {}
    # Reasons per distinct name, joined to the vendors in frames: no loop over vendor rows.
    near_frame = pl.DataFrame(
        [(name, firm, reason) for name, (firm, reason) in near.items()],
        schema={"recipient_name": pl.String, "suggested_firm_id": pl.String, "_near": pl.String},
        orient="row",
    )
    issuer_frame = pl.DataFrame(
        [
            (name, issuer_id, f"issuer_name: opens with {issuer_name} ({issuer_id})")
            for name, (issuer_id, issuer_name) in issuer_hits.items()
        ],
        schema={"recipient_name": pl.String, "suggested_issuer_id": pl.String, "_issuer": pl.String},
        orient="row",
    )
    foreign = pl.when(pl.col("_foreign_owned")).then(
        pl.lit("foreign_owned: foreign-owned business incorporated in the U.S.")
    )
    ranked = (
        vendors.join(near_frame, on="recipient_name", how="left")
        .join(issuer_frame, on="recipient_name", how="left")
        .with_columns(pl.concat_list("_near", "_issuer", foreign).list.drop_nulls().alias("reasons"))
        .filter(pl.col("reasons").list.len() > 0)
        .sort(["amount", "recipient_name"], descending=[True, False])
        .with_row_index("rank", offset=1)
        .select([pl.col(c).cast(t) for c, t in CANDIDATE_SCHEMA.items()])
    )
    return ranked.head(limit) if limit is not None else ranked
