"""The review queue: unattributed vendors that may be Canadian-owned, ranked by dollars, each with its reasons
and award keys. Nothing here adds to a score: an analyst confirms a candidate with an override
(`exposure overrides add`), and only then does the next scoring count it.

Reasons, strongest first:
- `canadian_recipient`: a record of the same name gives the recipient's (or subawardee's) country as Canada (that
  record makes it a Canadian firm; this name's records that give no country are queued, not taken);
- `curated_lead`: the subsidiary research (COVERAGE.md) left this vendor as a lead it could not settle: it may be
  the named issuer's, but no primary source says so and dates it (`datasets/data/review_leads.csv`);
- `near_miss`: the name resembles a registry firm's (a look-alike spelling, a partial resemblance) but was not
  attributed, because a name alone is not proof;
- `issuer_name`: the vendor's name opens with a Canadian listed issuer's name, word for word, or with a coined
  first word that opens exactly one name among the listed issuers of the DHS-selling industries;
- `canadian_tax`: a record's description charges Canadian sales tax (HST, GST, QST), so the vendor invoices in
  Canada;
- `foreign_owned`: the record flags a foreign-owned business incorporated in the U.S.;
- `foreign_entity`: the record flags a foreign business not incorporated in the U.S., or another foreign entity;
- `us_arm_name`: the name marks the U.S. arm of a business based elsewhere ("… USA INC", "… (US) INC"). Most
  contract records (USAspending's search export) carry no ownership flag at all, so the name is the only hint;
  a record that says the business is U.S.-owned overrules it.
"""

from __future__ import annotations

from enum import StrEnum

import polars as pl

from scoring.matching import NameMatcher, is_ordinary_word
from scoring.normalize import normalize_names, normalized_name_expr
from scoring.resolve import FOREIGN_OWNED_US
from scoring.sectors import DHS_INDUSTRIES


class Reason(StrEnum):
    """The code that opens each reason, strongest first; the API filters the queue by it."""

    CANADIAN_RECIPIENT = "canadian_recipient"
    CURATED_LEAD = "curated_lead"
    NEAR_MISS = "near_miss"
    ISSUER_NAME = "issuer_name"
    CANADIAN_TAX = "canadian_tax"
    FOREIGN_OWNED = "foreign_owned"
    FOREIGN_ENTITY = "foreign_entity"
    US_ARM_NAME = "us_arm_name"


CANADA = "CAN"
FOREIGN_ENTITIES = (
    "FOREIGN-OWNED BUSINESS NOT INCORPORATED IN THE U.S.",
    "OTHER FOREIGN ENTITY (E.G. FOREIGN GOVERNMENT)",
)
US_OWNED = "U.S. OWNED BUSINESS"
# Canadian sales taxes named as a charge ("HST TAX", "GST/HST"), in English or French.
CANADIAN_TAX = (
    r"(?i)\b(?:GST/HST|HST/GST|HARMONI[SZ]ED SALES TAX|GOODS AND SERVICES TAX|TAXE DE VENTE HARMONIS[EÉ]E"
    r"|(?:HST|GST|QST|TPS|TVQ)\W{0,3}TAX(?:ES)?)\b"
)
# "USA", "U.S.A.", "US" or "(US)" after at least one other word: "OCTASIC US INC.", "FOSTER & FREEMAN USA INC".
# Not "… OF AMERICA" (a U.S. naming habit) and not a name that opens with "USA" ("USA COURIERS").
US_ARM_NAME = r"^\S.*?\s\(?(?:USA|U\.S\.A\.?|US|U\.S\.)\)?(?:[\s,.]|$)"

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
    """Vendor name -> (issuer_id, what it has of the issuer's name) when the vendor's normalised name opens with an
    issuer's whole name, word for word, or else with a coined first word ("HAIVISION") that opens exactly one
    issuer's name: a subsidiary often keeps only that word ("HAIVISION NETWORK VIDEO", "REDISHRED ACQUISITION").
    The first-word rule is kept to issuers of the DHS-selling industries, on any Canadian exchange: across the
    whole universe, mining and energy juniors' names (ZEPHYR, CENTERRA) open many unrelated U.S. vendors'."""
    keys = normalize_names(issuers["name"].to_list())
    by_key: dict[str, tuple[str, str]] = {}
    by_first: dict[str, set[tuple[str, str]]] = {}
    columns = issuers.columns
    first_word_ok = (
        [industry in DHS_INDUSTRIES for industry in issuers["industry"]]
        if "industry" in columns
        else [False] * issuers.height
    )
    rows = zip(keys, issuers["issuer_id"], issuers["name"], first_word_ok, strict=True)
    for key, issuer_id, name, eligible in rows:
        if key and len(key.replace(" ", "")) >= MIN_ISSUER_KEY:
            by_key.setdefault(key, (str(issuer_id), str(name)))
        first = key.split()[0] if key else ""
        if eligible and len(first) >= MIN_ISSUER_KEY and not is_ordinary_word(first):
            by_first.setdefault(first, set()).add((str(issuer_id), str(name)))
    hits: dict[str, tuple[str, str]] = {}
    for raw, key in zip(names, normalize_names(names), strict=True):
        if not key:
            continue
        words = key.split()
        for n in range(len(words), 0, -1):  # the longest issuer name that opens the vendor's, word for word
            found = by_key.get(" ".join(words[:n]))
            if found:
                hits[raw] = (found[0], f"opens with {found[1]}")
                break
        else:
            owners = by_first.get(words[0], set())
            if len(owners) == 1:
                ((issuer_id, name),) = owners
                hits[raw] = (issuer_id, f"opens with {words[0]}, the coined first word of {name} and no other issuer")
    return hits


def near_misses(matcher: NameMatcher, names: list[str], reason: str = Reason.NEAR_MISS) -> dict[str, tuple[str, str]]:
    """Name -> (firm id, reason) for each unattributed name that resembles a registry firm: the matcher found
    no firm, or only a look-alike the scoring would not take on the name alone."""
    near: dict[str, tuple[str, str]] = {}
    for match in matcher.match_many(names):
        if match.candidates and (match.firm_id is None or match.features.get("look_alike")):
            top = match.candidates[0]
            near[match.query] = (top.firm_id, f"{reason}: resembles {top.alias} ({top.firm_id}, {top.confidence:.2f})")
    return near


def _lead_frame(leads: pl.DataFrame | None) -> pl.DataFrame:
    """The unsettled leads by normalised vendor name: the issuer each suggests and its reason."""
    schema = {"_key": pl.String, "_lead_issuer": pl.String, "_lead": pl.String}
    if leads is None or leads.is_empty():
        return pl.DataFrame(schema=schema)
    rows = zip(normalize_names(leads["recipient_name"].to_list()), leads["issuer_id"], leads["lead"], strict=True)
    found = [(key, str(issuer), f"{Reason.CURATED_LEAD}: {lead} ({issuer})") for key, issuer, lead in rows if key]
    return pl.DataFrame(found, schema=schema, orient="row").unique("_key", keep="first", maintain_order=True)


def review_candidates(
    attributed: pl.DataFrame,
    matcher: NameMatcher,
    issuers: pl.DataFrame | None = None,
    limit: int | None = None,
    overrides: pl.DataFrame | None = None,
    leads: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per unattributed vendor name with at least one reason, most dollars first. A vendor an analyst
    has ruled on (an "is_not" override of its name or UEI) has been reviewed and leaves the queue. `leads`
    (recipient_name, issuer_id, lead) are the research's unsettled leads, matched on the normalised name; a lead's
    issuer is the one suggested."""
    open_links = attributed.filter(
        pl.col("firm_id").is_null() & (pl.col("link_kind") != "evidence") & pl.col("recipient_name").is_not_null()
    )
    if overrides is not None and not overrides.is_empty():
        ruled = overrides.filter(pl.col("decision") == "is_not")
        by_name = ruled.filter(pl.col("scheme") == "name")["value"].to_list()
        by_uei = ruled.filter(pl.col("scheme") == "uei")["value"].to_list()
        open_links = open_links.filter(
            ~normalized_name_expr(pl.col("recipient_name")).is_in(by_name)
            & ~pl.col("recipient_uei").fill_null("").is_in(by_uei)
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
            pl.col("description").str.contains(CANADIAN_TAX).any().alias("_canadian_tax"),
            (pl.col("domestic_or_foreign_entity") == FOREIGN_OWNED_US).any().alias("_foreign_owned"),
            pl.col("domestic_or_foreign_entity").is_in(FOREIGN_ENTITIES).any().alias("_foreign_entity"),
            (pl.col("domestic_or_foreign_entity") == US_OWNED).any().alias("_us_owned"),
            pl.col("award_key").drop_nulls().unique().sort().head(MAX_AWARD_KEYS).alias("award_keys"),
        )
        .filter(pl.col("amount") > 0)
    )
    # A record that places the recipient in Canada makes it a (discovered) Canadian firm; the same name's records
    # that give no country stay unattributed, and are queued here.
    located_in_canada = attributed.filter(pl.col("recipient_country_code") == CANADA).select(
        pl.col("recipient_name").unique().drop_nulls(), pl.lit(True).alias("_canadian")
    )
    vendors = vendors.join(located_in_canada, on="recipient_name", how="left").with_columns(
        pl.col("_canadian").fill_null(False)
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
            (name, issuer_id, f"{Reason.ISSUER_NAME}: {detail} ({issuer_id})")
            for name, (issuer_id, detail) in issuer_hits.items()
        ],
        schema={"recipient_name": pl.String, "suggested_issuer_id": pl.String, "_issuer": pl.String},
        orient="row",
    )

    lead_frame = _lead_frame(leads)

    def reason(flag: str | pl.Expr, code: Reason, detail: str) -> pl.Expr:
        return pl.when(pl.col(flag) if isinstance(flag, str) else flag).then(pl.lit(f"{code}: {detail}"))

    us_arm = pl.col("recipient_name").str.to_uppercase().str.contains(US_ARM_NAME) & ~pl.col("_us_owned")
    ranked = (
        vendors.join(near_frame, on="recipient_name", how="left")
        .join(issuer_frame, on="recipient_name", how="left")
        .with_columns(normalized_name_expr(pl.col("recipient_name")).alias("_key"))
        .join(lead_frame, on="_key", how="left")
        .with_columns(
            pl.coalesce("_lead_issuer", "suggested_issuer_id").alias("suggested_issuer_id"),
            pl.concat_list(
                reason(
                    "_canadian",
                    Reason.CANADIAN_RECIPIENT,
                    "a record of this name gives the recipient's country as Canada",
                ),
                "_lead",
                "_near",
                "_issuer",
                reason("_canadian_tax", Reason.CANADIAN_TAX, "a description charges Canadian sales tax (HST/GST/QST)"),
                reason("_foreign_owned", Reason.FOREIGN_OWNED, "foreign-owned business incorporated in the U.S."),
                reason(
                    "_foreign_entity",
                    Reason.FOREIGN_ENTITY,
                    "the record flags a foreign business or other foreign entity, not incorporated in the U.S.",
                ),
                reason(
                    us_arm,
                    Reason.US_ARM_NAME,
                    "the name marks the U.S. arm (“USA”, “US”) of a business based elsewhere",
                ),
            )
            .list.drop_nulls()
            .alias("reasons"),
        )
        .filter(pl.col("reasons").list.len() > 0)
        .sort(["amount", "recipient_name"], descending=[True, False])
        .with_row_index("rank", offset=1)
        .select([pl.col(c).cast(t) for c, t in CANDIDATE_SCHEMA.items()])
    )
    return ranked.head(limit) if limit is not None else ranked
