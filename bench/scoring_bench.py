"""Rescoring benchmark: the Polars pipeline against a hand-written DuckDB SQL version of the same
aggregation (attribute by UEI, then by exact normalised name; roll up through ownership; weigh by category,
agency and recency; sum per Canadian parent), timed in the same run on the same synthetic input.

Synthetic input, fictional names: 1M transactions, 50k firms (10k Canadian parents), 60k ownership edges.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import polars as pl

from scoring import ScoreResult, StoreFrames, load_methodology, score
from scoring.inputs import frame_of
from scoring.methodology import Methodology
from scoring.normalize import LEGAL_FORMS

AS_OF = date(2026, 11, 1)
PSC_SAMPLE = ["2355", "S206", "8440", "7510", "D307", "R408", "Y1FF", "V221", "1005", "6665", "R499", "J023"]
AGENCIES = ["7012", "7014", "7003", "7022", "7001"]


@dataclass(frozen=True)
class Sizes:
    transactions: int = 1_000_000
    firms: int = 50_000
    parents: int = 10_000
    edges: int = 60_000


def synthetic(sizes: Sizes, seed: int = 7) -> StoreFrames:
    rng = np.random.default_rng(seed)
    firm_ids = [f"f{i:06d}" for i in range(sizes.firms)]
    countries = ["CAN" if i < sizes.parents else "USA" for i in range(sizes.firms)]
    names = [
        f"Northwind Fictional {i:06d} {'Holdings Inc.' if i < sizes.parents else 'Federal LLC'}"
        for i in range(sizes.firms)
    ]
    firms = pl.DataFrame(
        {
            "firm_id": firm_ids,
            "name": names,
            "country_code": countries,
            "annual_revenue": pl.Series([None] * sizes.firms, dtype=pl.Decimal(18, 2)),
            "revenue_currency": pl.Series([None] * sizes.firms, dtype=pl.String),
            "revenue_basis": pl.Series([None] * sizes.firms, dtype=pl.String),
        }
    )
    # Each subsidiary has a parent (a Canadian parent or another subsidiary: several levels); the rest of the
    # edges are second owners (joint ventures), some of which close cycles.
    subs = np.arange(sizes.parents, sizes.firms)
    first_parent = np.where(
        rng.random(subs.size) < 0.7, rng.integers(0, sizes.parents, subs.size), rng.integers(0, sizes.firms, subs.size)
    )
    extra = sizes.edges - subs.size
    extra_child = rng.integers(sizes.parents, sizes.firms, extra)
    extra_parent = rng.integers(0, sizes.firms, extra)
    child = np.concatenate([subs, extra_child])
    parent = np.concatenate([first_parent, extra_parent])
    keep = child != parent
    ownership = pl.DataFrame(
        {
            "child_firm_id": [firm_ids[i] for i in child[keep]],
            "parent_firm_id": [firm_ids[i] for i in parent[keep]],
            "share": pl.Series(np.where(np.arange(keep.sum()) < subs.size, 1.0, 0.5), dtype=pl.Decimal(7, 6)),
            "relation": np.where(np.arange(keep.sum()) < subs.size, "wholly_owned", "joint_venture"),
            "valid_from": pl.Series([None] * int(keep.sum()), dtype=pl.Date),
            "valid_to": pl.Series([None] * int(keep.sum()), dtype=pl.Date),
        }
    ).unique(["child_firm_id", "parent_firm_id"])
    ueis = [f"FICT{i:08d}" for i in range(sizes.firms)]
    identifiers = pl.DataFrame({"firm_id": firm_ids, "scheme": ["uei"] * sizes.firms, "value": ueis})
    aliases = pl.DataFrame({"firm_id": firm_ids, "alias": [n.upper() for n in names]})

    n = sizes.transactions
    recipient = rng.integers(0, sizes.firms, n)
    how = rng.random(n)  # 80 % by UEI, 10 % by name only, 10 % unknown vendors
    days = rng.integers(0, 3650, n)
    transactions = pl.DataFrame(
        {
            "transaction_key": [f"t{i}" for i in range(n)],
            "contract_award_unique_key": [f"CONT_AWD_FICT{i // 4:07d}_7012_-NONE-_-NONE-" for i in range(n)],
            "modification_number": [str(i % 4) for i in range(n)],
            "action_date": pl.Series(np.datetime64(AS_OF) - days.astype("timedelta64[D]")).cast(pl.Date),
            "federal_action_obligation": pl.Series(np.round(rng.lognormal(10, 2, n), 2)).cast(pl.Decimal(18, 2)),
            "awarding_sub_agency_code": rng.choice(AGENCIES, n),
            "recipient_uei": [ueis[r] if h < 0.8 else None for r, h in zip(recipient, how, strict=True)],
            "recipient_parent_uei": pl.Series([None] * n, dtype=pl.String),
            "recipient_duns": pl.Series([None] * n, dtype=pl.String),
            "recipient_parent_duns": pl.Series([None] * n, dtype=pl.String),
            "cage_code": pl.Series([None] * n, dtype=pl.String),
            "recipient_name": [
                names[r].upper() if h < 0.9 else f"UNKNOWN VENDOR {r} LLC" for r, h in zip(recipient, how, strict=True)
            ],
            "recipient_parent_name": pl.Series([None] * n, dtype=pl.String),
            "recipient_country_code": ["USA"] * n,
            "domestic_or_foreign_entity": pl.Series([None] * n, dtype=pl.String),
            "product_or_service_code": rng.choice(PSC_SAMPLE, n),
            "product_or_service_description": pl.Series([None] * n, dtype=pl.String),
            "naics_code": pl.Series([None] * n, dtype=pl.String),
            "naics_description": pl.Series([None] * n, dtype=pl.String),
            "transaction_description": pl.Series([None] * n, dtype=pl.String),
            "source_kind": ["usaspending_prime_transactions"] * n,
        }
    )
    return StoreFrames(
        transactions=transactions.lazy(),
        awards=frame_of("awards"),
        subawards=frame_of("subawards"),
        evidence=frame_of("evidence"),
        firms=firms.lazy(),
        firm_identifiers=identifiers.lazy(),
        firm_aliases=aliases.lazy(),
        ownership=ownership.lazy(),
    )


def duckdb_baseline(con: duckdb.DuckDBPyConnection, m: Methodology) -> pl.DataFrame:
    """The same aggregation written by hand in DuckDB SQL, producing the same outputs: the same name
    normalisation, attribution by UEI then name, roll-up, the weighted contributions table with its factor
    and trace columns, and per-firm totals with breakdowns by agency, category and subsidiary."""
    half_life = m.half_life_days
    agency_case = " ".join(f"WHEN '{k}' THEN {v}" for k, v in m.agency_weights.items())
    severity = {c.category: c.severity for c in m.categories.values()}
    con.execute(
        "CREATE OR REPLACE TEMP TABLE psc_rules AS SELECT * FROM (VALUES "
        + ", ".join(f"('{p}', '{c}', {severity[c]})" for p, c in m.psc_rules.items())
        + ") v(prefix, category, severity)"
    )
    forms = "|".join(f.replace(" ", "\\s") for f in sorted(LEGAL_FORMS, key=len, reverse=True))
    con.execute(r"""
        CREATE OR REPLACE MACRO spaced(name) AS trim(regexp_replace(regexp_replace(regexp_replace(
            regexp_replace(strip_accents(upper(name)), '\s+(D/B/A|DBA|DOING BUSINESS AS)\s+.*$', ''),
            '&', ' AND ', 'g'), '[^A-Z0-9 ]', ' ', 'g'), '\s+', ' ', 'g'))
    """)
    con.execute(r"""
        CREATE OR REPLACE MACRO unglued(name) AS regexp_replace(
            regexp_replace(spaced(name), '\b(IN )?JOINT VENTURE\b|\bJ V\b', 'JV', 'g'),
            '([A-Z0-9]{5,})(INC|LTD|LIMITED|LTEE|LLC)$', '\1')
    """)
    con.execute(f"""
        CREATE OR REPLACE MACRO normalise(name) AS nullif(trim(regexp_replace(regexp_replace(regexp_replace(
            regexp_replace(unglued(name), '\\b({forms})\\b', ' ', 'g'), '^\\s*THE\\s+', ''), '\\s+THE\\s*$', ''),
            '\\s+', ' ', 'g')), '')
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE baseline_contributions AS
        WITH RECURSIVE
        names AS (SELECT DISTINCT recipient_name FROM transactions),
        normalised AS (SELECT recipient_name, normalise(recipient_name) AS name_key FROM names),
        alias_keys AS (
            SELECT key, any_value(firm_id) AS firm_id FROM (
                SELECT normalise(alias) AS key, firm_id FROM aliases
                UNION SELECT normalise(name), firm_id FROM firms)
            WHERE key IS NOT NULL GROUP BY key HAVING count(DISTINCT firm_id) = 1),
        attributed AS (
            SELECT t.*, coalesce(i.firm_id, a.firm_id) AS firm_id,
                   CASE WHEN i.firm_id IS NOT NULL THEN 'identifier:uei'
                        WHEN a.firm_id IS NOT NULL THEN 'alias:name' END AS matched_by
            FROM transactions t
            LEFT JOIN identifiers i ON i.scheme = 'uei' AND i.value = t.recipient_uei
            LEFT JOIN normalised n ON n.recipient_name = t.recipient_name
            LEFT JOIN alias_keys a ON a.key = n.name_key
            WHERE t.action_date <= DATE '{AS_OF}'),
        walk(firm_id, current, share, path) AS (
            SELECT firm_id, firm_id, 1.0::DOUBLE, [firm_id] FROM firms
            UNION ALL
            SELECT w.firm_id, o.parent_firm_id, w.share * o.share::DOUBLE, list_append(w.path, o.parent_firm_id)
            FROM walk w JOIN ownership o ON o.child_firm_id = w.current
            WHERE NOT list_contains(w.path, o.parent_firm_id) AND len(w.path) < 32),
        tops AS (
            SELECT w.firm_id, w.current AS parent_id, least(sum(w.share), 1.0) AS share
            FROM walk w JOIN firms f ON f.firm_id = w.current AND f.country_code = 'CAN'
            WHERE NOT EXISTS (SELECT 1 FROM ownership o JOIN firms g ON g.firm_id = o.parent_firm_id
                              AND g.country_code = 'CAN' WHERE o.child_firm_id = w.current
                              AND NOT list_contains(w.path, o.parent_firm_id))
            GROUP BY ALL)
        SELECT 'transaction:' || a.transaction_key AS link_id, t.parent_id, a.firm_id AS via_firm_id, a.matched_by,
               a.contract_award_unique_key AS award_key, a.recipient_name, a.awarding_sub_agency_code AS agency_code,
               a.action_date AS link_date, a.transaction_description AS description,
               coalesce(p4.category, p3.category, p2.category, p1.category, 'other') AS category,
               a.federal_action_obligation AS amount,
               coalesce(p4.severity, p3.severity, p2.severity, p1.severity, {severity["other"]}) AS category_severity,
               CASE a.awarding_sub_agency_code {agency_case} ELSE {m.default_agency_weight} END AS agency_weight,
               pow(0.5, date_diff('day', a.action_date, DATE '{AS_OF}') / {half_life}) AS recency_weight,
               t.share AS ownership_share,
               a.federal_action_obligation::DOUBLE * category_severity * agency_weight * recency_weight
                   * ownership_share AS contribution,
               round(a.federal_action_obligation * t.share, 2) AS share_amount
        FROM attributed a JOIN tops t ON t.firm_id = a.firm_id
        LEFT JOIN psc_rules p4 ON p4.prefix = a.product_or_service_code
        LEFT JOIN psc_rules p3 ON p3.prefix = left(a.product_or_service_code, 3)
        LEFT JOIN psc_rules p2 ON p2.prefix = left(a.product_or_service_code, 2)
        LEFT JOIN psc_rules p1 ON p1.prefix = left(a.product_or_service_code, 1)
    """)
    result: pl.DataFrame = con.sql("""
        WITH cells AS (
            SELECT parent_id, agency_code, category, via_firm_id, sum(share_amount) AS dollars,
                   sum(contribution) AS weighted, count(*) AS links
            FROM baseline_contributions GROUP BY ALL),
        breakdown_agency AS (
            SELECT parent_id, list({key: agency_code, dollars: d, weighted: w} ORDER BY w DESC) AS by_agency
            FROM (SELECT parent_id, agency_code, sum(dollars) d, sum(weighted) w FROM cells GROUP BY ALL)
            GROUP BY parent_id),
        breakdown_category AS (
            SELECT parent_id, list({key: category, dollars: d, weighted: w} ORDER BY w DESC) AS by_category
            FROM (SELECT parent_id, category, sum(dollars) d, sum(weighted) w FROM cells GROUP BY ALL)
            GROUP BY parent_id),
        breakdown_via AS (
            SELECT parent_id, list({key: via_firm_id, dollars: d, weighted: w} ORDER BY w DESC) AS by_subsidiary
            FROM (SELECT parent_id, via_firm_id, sum(dollars) d, sum(weighted) w FROM cells GROUP BY ALL)
            GROUP BY parent_id),
        awards AS (
            SELECT parent_id, count(DISTINCT award_key) AS award_count FROM baseline_contributions GROUP BY ALL),
        totals AS (
            SELECT parent_id, sum(dollars) AS obligated_total,
                   sum(dollars) FILTER (WHERE agency_code = '7012') AS ice_total,
                   sum(dollars) FILTER (WHERE agency_code = '7014') AS cbp_total,
                   round(sum(weighted), 2) AS weighted_total, sum(links) AS link_count
            FROM cells GROUP BY ALL)
        SELECT * FROM totals JOIN awards USING (parent_id) JOIN breakdown_agency USING (parent_id)
        JOIN breakdown_category USING (parent_id) JOIN breakdown_via USING (parent_id)
    """).pl()
    return result


def _median_seconds(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run(sizes: Sizes = Sizes(), repeat: int = 3) -> dict[str, float]:
    print(
        f"synthetic input: {sizes.transactions:,} transactions, {sizes.firms:,} firms, "
        f"{sizes.edges:,} ownership edges (fictional names)"
    )
    frames = synthetic(sizes)
    methodology = load_methodology()
    con = duckdb.connect()
    for name, frame in (
        ("transactions", frames.transactions),
        ("firms", frames.firms),
        ("identifiers", frames.firm_identifiers),
        ("aliases", frames.firm_aliases),
        ("ownership", frames.ownership),
    ):
        con.register(f"_{name}", frame.collect().to_arrow())
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _{name}")
    baseline, base_result = _median_seconds(lambda: duckdb_baseline(con, methodology), repeat)
    pipeline, pipe_result = _median_seconds(lambda: score(frames, methodology, AS_OF), repeat)
    assert isinstance(base_result, pl.DataFrame) and isinstance(pipe_result, ScoreResult)
    scored = pipe_result.scores
    ratio = pipeline / baseline
    # The two must compute the same thing: compare every parent's weighted total.
    both = scored.select("firm_id", "weighted_total").join(
        base_result.select(pl.col("parent_id").alias("firm_id"), pl.col("weighted_total").alias("base")),
        on="firm_id",
        how="inner",
    )
    worst = both.select((pl.col("weighted_total") - pl.col("base")).abs().max().fill_null(0.0)).item()
    print(f"  parents compared: {both.height:,}; largest difference in weighted total: {worst:,.2f} USD")
    print(f"  DuckDB SQL aggregation (baseline): {baseline:8.2f} s  ({base_result.height:,} parents)")
    print(
        f"  Polars pipeline, full rescore:     {pipeline:8.2f} s  ({int((scored['link_count'] > 0).sum()):,} parents)"
    )
    print(f"  ratio pipeline / baseline:         {ratio:8.2f}x  (target <= 2.0x)")
    return {"baseline_s": baseline, "pipeline_s": pipeline, "ratio": ratio}
