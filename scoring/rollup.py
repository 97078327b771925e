"""Roll firms up through ownership to their ultimate Canadian parent, across any number of levels.

Shares multiply along the path; an edge with no known share takes the methodology's default for its
relation. Walking stops at the top of each chain or where a parent is already on the path (a cycle).
A firm may reach several Canadian parents (a joint venture of two), each with its own share. A listed
Canadian firm on the way up is credited too, at its own share: portfolios hold and screen Great-West Lifeco
as well as Power Corporation, its controlling parent, and a clean bill for the listed subsidiary would be wrong.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

MAX_DEPTH = 32
LISTED_COLUMN = "listing_status"
LISTED = "public"


def ultimate_canadian_parents(
    firms: pl.LazyFrame,
    ownership: pl.LazyFrame,
    default_shares: dict[str, float],
    canada: str = "CAN",
) -> pl.LazyFrame:
    """One row per (firm_id, parent_id): the top-most Canadian firm on each ownership path from the firm, and
    every listed Canadian firm (`listing_status` public) on the way to it, with `ownership_share` (product of
    the shares on the way) and `path` (firm ids, firm first)."""
    edges = ownership.select(
        pl.col("child_firm_id").alias("current"),
        pl.col("parent_firm_id").alias("next"),
        pl.coalesce(
            pl.col("share").cast(pl.Float64),
            pl.col("relation").replace_strict(default_shares, default=1.0, return_dtype=pl.Float64),
        ).alias("edge_share"),
    ).collect()
    countries = firms.select("firm_id", "country_code").collect()
    canadian = set(countries.filter(pl.col("country_code") == canada)["firm_id"].to_list())
    listed: set[str] = set()
    if LISTED_COLUMN in firms.collect_schema().names():
        listed = set(
            firms.filter((pl.col("country_code") == canada) & (pl.col(LISTED_COLUMN) == LISTED))
            .select("firm_id")
            .collect()["firm_id"]
            .to_list()
        )

    frontier = countries.select(
        pl.col("firm_id"),
        pl.col("firm_id").alias("current"),
        pl.lit(1.0).alias("share"),
        pl.concat_list(pl.col("firm_id")).alias("path"),
        pl.concat_list(pl.lit(1.0)).alias("shares"),
    )
    finished: list[pl.DataFrame] = []
    for _depth in range(MAX_DEPTH):
        stepped = frontier.with_row_index("_branch").join(edges, on="current", how="left")
        cycle = pl.col("path").list.contains(pl.col("next"))
        stepped = stepped.with_columns((pl.col("next").is_null() | cycle).alias("_stops"))
        # A branch ends when none of its parents lead anywhere new.
        ends = stepped.filter(pl.col("_stops").all().over("_branch")).unique("_branch", keep="first")
        finished.append(ends.select("firm_id", "path", "shares"))
        frontier = stepped.filter(~pl.col("_stops")).select(
            "firm_id",
            pl.col("next").alias("current"),
            (pl.col("share") * pl.col("edge_share")).alias("share"),
            pl.col("path").list.concat(pl.concat_list("next")),
            pl.col("shares").list.concat(pl.concat_list(pl.col("share") * pl.col("edge_share"))),
        )
        if frontier.is_empty():
            break
    else:  # deeper than MAX_DEPTH: stop where we are rather than loop forever
        finished.append(frontier.select("firm_id", "path", "shares"))

    paths = pl.concat(finished, how="vertical")
    if paths.is_empty():
        return pl.LazyFrame(
            schema={
                "firm_id": pl.String,
                "parent_id": pl.String,
                "ownership_share": pl.Float64,
                "path": pl.List(pl.String),
            }
        )
    # The top-most Canadian firm on each path (the last Canadian position), and the listed ones below it.
    exploded = (
        paths.with_row_index("_path")
        .explode(["path", "shares"])
        .with_columns(pl.int_range(pl.len()).over("_path").alias("_pos"))
    )
    canadian_steps = exploded.filter(pl.col("path").is_in(list(canadian)))
    credited = canadian_steps.filter(
        (pl.col("_pos") == pl.col("_pos").max().over("_path")) | pl.col("path").is_in(list(listed))
    )
    result = credited.join(paths.with_row_index("_path").select("_path", pl.col("path").alias("full_path")), on="_path")
    return (
        result.select(
            "firm_id",
            pl.col("path").alias("parent_id"),
            pl.col("shares").alias("ownership_share"),
            pl.col("full_path").list.head(pl.col("_pos") + 1).alias("path"),
        )
        .group_by(["firm_id", "parent_id"])
        # Distinct paths to the same parent add up (50 % directly plus 50 % through a subsidiary).
        .agg(pl.col("ownership_share").sum().clip(upper_bound=1.0), pl.col("path").first())
        .sort(["firm_id", "parent_id"])
        .lazy()
    )


def dated_canadian_parents(
    firms: pl.LazyFrame,
    ownership: pl.LazyFrame,
    default_shares: dict[str, float],
    canada: str = "CAN",
) -> pl.LazyFrame:
    """`ultimate_canadian_parents` for every period in which the ownership edges stay the same, with the
    period as `valid_from`/`valid_to` (inclusive; null is open-ended). A record counts for a parent only if
    its date falls in the period: every edge of its path held on that day."""
    edges = ownership.collect()
    starts = edges["valid_from"].drop_nulls().to_list()
    ends = [d + timedelta(days=1) for d in edges["valid_to"].drop_nulls().to_list()]
    boundaries = sorted(set(starts) | set(ends))
    periods: list[tuple[date | None, date | None]] = []
    previous: date | None = None
    for boundary in boundaries:
        periods.append((previous, boundary - timedelta(days=1)))
        previous = boundary
    periods.append((previous, None))
    frames = []
    for start, end in periods:
        day = start if start is not None else (end if end is not None else date.max)
        held = edges.filter(
            (pl.col("valid_from").is_null() | (pl.col("valid_from") <= day))
            & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= day))
        )
        frames.append(
            ultimate_canadian_parents(firms, held.lazy(), default_shares, canada)
            .collect()
            .with_columns(
                pl.lit(start, dtype=pl.Date).alias("valid_from"), pl.lit(end, dtype=pl.Date).alias("valid_to")
            )
        )
    dated = pl.concat(frames, how="vertical").sort(["firm_id", "parent_id", "valid_from"], nulls_last=False)
    # Neighbouring periods with the same parent, share and path are one period.
    same = ["firm_id", "parent_id", "ownership_share", "path"]
    adjacent = pl.col("valid_from").eq_missing(pl.col("valid_to").shift(1) + timedelta(days=1))
    run = (pl.any_horizontal([pl.col(c).ne_missing(pl.col(c).shift(1)) for c in same]) | ~adjacent).cum_sum()
    return (
        dated.with_columns(run.alias("_run"))
        .group_by("_run", maintain_order=True)
        .agg(*[pl.col(c).first() for c in same], pl.col("valid_from").first(), pl.col("valid_to").last())
        .drop("_run")
        .lazy()
    )
