"""The `exposure` command: init | ingest | score | serve | export-openapi.

Every command takes --db PATH (or EXPOSURE_DB), prints what it did, and exits non-zero with a one-line
reason on failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from datasets.catalogue import KINDS, expected_rows
from datasets.errors import DataError
from datasets.ingest import LoadReport
from datasets.store import connect
from scoring.candidates import Reason
from scoring.resolve import ANY_FIRM
from service import pipeline
from service.settings import Settings, package_version

if TYPE_CHECKING:
    from service.db import Cursor
    from service.models import Snapshot

T = TypeVar("T")

# The commands that may create the database (ingest and fetch build a store of just their files); every other one
# refuses a --db that does not exist rather than work on an empty new file.
CREATES_DATABASE = frozenset({"init", "ingest", "fetch", "export-openapi"})

SERVE_HELP = "serve this result even if its date is older than the newest scored (default: the newest is served)"

# Piped into a file or another program, tables keep whole file names instead of an 80-column terminal's.
console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 240)
errors = Console(stderr=True, highlight=False, soft_wrap=True)  # one line per error, never wrapped


class CommandError(Exception):
    """A failure worth one line to the user."""


def _positive(text: str) -> int:
    """A rate or quota: a whole number of at least 1 (0 or less would mean no limit, or no access)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="exposure", description="Screen Canadian firms for exposure to U.S. ICE and DHS contracts."
    )
    parser.add_argument(
        "--db", type=Path, default=None, help="DuckDB database file (default: EXPOSURE_DB, else var/exposure.duckdb)"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("init", help="create the database and load the bundled default data")

    ingest = commands.add_parser("ingest", help="load USAspending or curated CSV files (.csv, .csv.gz, .zip)")
    ingest.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    ingest.add_argument("--kind", choices=[k.name for k in KINDS], help="skip header detection and use this kind")

    score = commands.add_parser("score", help="score every Canadian firm as of a date")
    score.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
    score.add_argument("--serve", action="store_true", help=SERVE_HELP)

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default=None, help="default: EXPOSURE_HOST, else 127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default: EXPOSURE_PORT, else 8000")
    serve.add_argument("--workers", type=int, default=None, help="default: EXPOSURE_WORKERS, else 1")

    overrides = commands.add_parser("overrides", help="analysts' match decisions: add, list, remove")
    actions = overrides.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="record that a vendor is, or is not, a registry firm")
    target = add.add_mutually_exclusive_group(required=True)
    target.add_argument("--name", help="the vendor name as records spell it")
    target.add_argument("--uei", help="the vendor's UEI")
    add.add_argument(
        "--firm", help="the registry firm id (leave it out with --decision is_not: the vendor is no registry firm)"
    )
    add.add_argument("--decision", choices=["is", "is_not"], required=True)
    add.add_argument("--by", required=True, help="who decided")
    add.add_argument("--why", required=True, help="why, with the source looked at")
    listing = actions.add_parser("list", help="the decisions on record")
    listing.add_argument("--firm", help="only those about this firm")
    remove = actions.add_parser("remove", help="withdraw a decision")
    remove.add_argument("override_id", type=int)

    keys = commands.add_parser("keys", help="API keys: create, list, revoke")
    key_actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = key_actions.add_parser("create", help="make a key; its token is printed once")
    create.add_argument("--name", required=True, help="who the key is for")
    create.add_argument("--scopes", default="read", help="comma-separated: read, screen, admin (default read)")
    create.add_argument("--rate", type=_positive, default=600, help="requests a minute (default 600)")
    create.add_argument("--quota", type=_positive, default=1_000_000, help="requests a month (default 1,000,000)")
    key_actions.add_parser("list", help="keys, scopes and this month's use")
    revoke = key_actions.add_parser("revoke", help="stop a key working")
    revoke.add_argument("key_id")

    fetch = commands.add_parser(
        "fetch",
        help="download a fiscal year from USAspending's bulk download API, or the Government of Canada's "
        "contracts from open.canada.ca, and load it",
    )
    fetch.add_argument("source", choices=["usaspending", "goc-contracts"])
    fetch.add_argument("--fiscal-year", type=int, default=None, help="the U.S. fiscal year (usaspending only)")
    fetch.add_argument(
        "--url", default=None, help="goc-contracts: the contracts.csv to download (default open.canada.ca's)"
    )
    fetch.add_argument("--agency", type=str.upper, default="DHS", help="DHS, ICE or CBP (default DHS)")
    fetch.add_argument("--dest", type=Path, default=Path("var/downloads"), help="where the archive is kept")
    fetch.add_argument("--base-url", default="https://api.usaspending.gov")
    fetch.add_argument("--timeout", type=float, default=3600, help="seconds to wait for USAspending to build the file")
    fetch.add_argument("--poll-seconds", type=float, default=5.0, help="how often to ask whether the file is ready")

    refresh = commands.add_parser(
        "refresh", help="ingest, rescore and publish a new snapshot beside the served one; servers switch to it"
    )
    refresh.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    refresh.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
    refresh.add_argument("--serve", action="store_true", help=SERVE_HELP)

    review = commands.add_parser("candidates", help="the review queue: unattributed vendors that may be Canadian-owned")
    review.add_argument("--limit", type=int, default=50, help="how many, most dollars first (default 50)")
    review.add_argument(
        "--reason", choices=[r.value for r in Reason], default=None, help="only the candidates with this reason"
    )

    ottawa = commands.add_parser(
        "federal-contracts",
        help="ICE/DHS-exposed firms that hold Government of Canada contracts, with the CAD totals by fiscal year",
    )
    ottawa.add_argument("--firm", action="append", default=None, help="only this firm (repeatable)")
    ottawa.add_argument("--fiscal-year", action="append", default=None, help="only this fiscal year, e.g. 2021-2022")

    export = commands.add_parser("export-openapi", help="write the OpenAPI document generated from the app")
    export.add_argument("output", type=Path, nargs="?", default=Path("openapi/openapi.json"))
    return parser


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _report_table(reports: Sequence[LoadReport]) -> Table:
    table = Table(title="rows per file: read = inserted + updated + duplicate + quarantined")
    for column in ("file", "kind", "read", "inserted", "updated", "duplicate", "quarantined", "note"):
        table.add_column(column, justify="right" if column not in ("file", "kind", "note") else "left")
    for r in reports:
        notes = []
        if r.already_loaded:
            notes.append(f"already loaded (source #{r.source_id})")
        expected = expected_rows(r.file_name.split(":")[-1])
        if expected is not None and expected != r.rows_read:
            notes.append(f"expected {expected} rows")
        if r.unknown_columns:
            notes.append(f"unknown columns: {', '.join(r.unknown_columns[:5])}")
        table.add_row(
            r.file_name,
            r.kind,
            f"{r.rows_read:,}",
            f"{r.rows_inserted:,}",
            f"{r.rows_updated:,}",
            f"{r.rows_duplicate:,}",
            f"{r.rows_quarantined:,}",
            "; ".join(notes),
        )
    return table


def cmd_init(db: Path) -> int:
    with _progress() as progress:
        task = progress.add_task("loading bundled data", total=None)
        outcome = pipeline.init(db, on_step=lambda step: progress.update(task, description=step))
    console.print(_report_table(outcome.reports))
    console.print(f"initialised {db}: " + ", ".join(f"{t} {n:,}" for t, n in outcome.counts.items() if n))
    quarantined = sum(r.rows_quarantined for r in outcome.reports)
    if quarantined:
        raise CommandError(f"{quarantined} bundled rows were quarantined; see the quarantine table in {db}")
    return 0


def cmd_ingest(db: Path, paths: Sequence[Path], kind: str | None) -> int:
    with _progress() as progress:
        task = progress.add_task("files", total=None)
        outcome = pipeline.ingest(db, paths, kind, on_step=lambda step: progress.update(task, description=step))
    _print_ingest(outcome)
    if outcome.refused:
        raise CommandError(
            f"{len(outcome.refused)} of {len(paths)} files could not be loaded (nothing from them was kept)"
        )
    return 0


def _print_ingest(outcome: pipeline.IngestOutcome) -> None:
    if outcome.reports:
        console.print(_report_table(outcome.reports))
        fields = ("rows_read", "rows_inserted", "rows_updated", "rows_duplicate", "rows_quarantined")
        console.print(
            "total: read {:,} = inserted {:,} + updated {:,} + duplicate {:,} + quarantined {:,}".format(
                *(outcome.total(f) for f in fields)
            )
        )
    for failure in outcome.refused:
        errors.print(f"refused: {failure}")


def cmd_score(db: Path, as_of: date | None, serve: bool = False) -> int:
    _print_score(pipeline.score(db, as_of, serve=serve))
    return 0


def _print_score(outcome: pipeline.ScoreOutcome) -> None:
    result = outcome.result
    scored = result.scores.filter(result.scores["link_count"] > 0)
    console.print(
        f"scored {result.scores.height} Canadian firms as of {outcome.as_of} (methodology "
        f"{outcome.methodology_version}); {scored.height} with links, {result.contributions.height:,} contributions"
    )
    table = Table(title="top firms")
    for column in ("firm", "score", "tier", "obligated (USD)", "ICE", "CBP", "links"):
        table.add_column(column)
    for row in scored.head(15).iter_rows(named=True):
        table.add_row(
            row["firm_id"],
            f"{row['score']:.2f}",
            row["tier"],
            f"{row['obligated_total']:,.2f}",
            f"{row['ice_total']:,.2f}",
            f"{row['cbp_total']:,.2f}",
            str(row["link_count"]),
        )
    console.print(table)
    for row in result.unattributed.iter_rows(named=True):
        console.print(f"not scored: {row['link_kind']}: {row['records']:,} records, USD {row['amount']:,.2f}")
    if result.unmapped_categories.height:
        console.print(f"{result.unmapped_categories.height} code/description combinations fell to category 'other'")


def _read_scored(db: Path, read: Callable[[Cursor, Snapshot], T]) -> tuple[Snapshot, T] | None:
    """The scored snapshot of the database at `db` and what `read` takes from it with the server's own queries
    (one definition of what both show); None, having said so, when nothing is scored yet."""
    from service.db import Cursor
    from service.queries import meta

    con = connect(db, read_only=True)
    try:
        cur = Cursor(con)
        snapshot = meta.current_snapshot(cur)
        if snapshot.as_of is None:
            console.print("no scored snapshot: run `exposure score` first")
            return None
        return snapshot, read(cur, snapshot)
    finally:
        con.close()


def cmd_candidates(db: Path, limit: int, reason: str | None = None) -> int:
    from service.queries import candidates

    code = Reason(reason) if reason else None
    scored = _read_scored(db, lambda cur, snapshot: candidates.review_candidates(cur, snapshot, limit, reason=code))
    if scored is None:
        return 1
    snapshot, (rows, total) = scored
    which = f" with reason {code}" if code else ""
    console.print(
        f"review queue as of {snapshot.as_of}: top {len(rows)} of {total:,}{which} (not scored until confirmed)"
    )
    for r in rows:  # one line each, so the list reads the same in any terminal and in a file
        awards = ", ".join(r.award_keys[:2]) + (" …" if len(r.award_keys) > 2 else "")
        console.print(
            f"{r.rank:>4}. {r.recipient_name}: USD {r.amount:,.2f} in {r.records} records "
            f"({r.first_date} to {r.last_date}); {'; '.join(r.reasons)}; awards {awards}"
        )
    console.print("confirm or reject with `exposure overrides add`; a candidate adds nothing to a score until then")
    return 0


def cmd_serve(settings: Settings) -> int:
    import functools

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from service.asgi import app_from_settings

    if not settings.db.exists():
        raise CommandError(f"database {settings.db} does not exist; run `exposure --db {settings.db} init` first")
    console.print(f"serving {settings.db} on http://{settings.host}:{settings.port} (docs at /docs)")
    # The settings read here travel to every worker with the app factory: nothing is passed through the
    # environment. Access logs come from our middleware (JSON, with a request id); uvicorn's would repeat them.
    config = uvicorn.Config(
        functools.partial(app_from_settings, settings),
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    if settings.workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        server.run()
    return 0


def _firm_label(firm_id: str) -> str:
    return "any registry firm" if firm_id == ANY_FIRM else firm_id


def cmd_overrides(db: Path, args: argparse.Namespace) -> int:
    from datasets.overrides import add_override, list_overrides, remove_override

    if args.action == "list":
        con = connect(db, read_only=True)
        try:
            found = list_overrides(con, args.firm)
        finally:
            con.close()
        for o in found:  # one line each: easy to read, easy to grep
            console.print(
                f"#{o.override_id} {o.scheme} {o.raw_value!r} {o.decision} {_firm_label(o.firm_id)} "
                f"by {o.decided_by} at {o.decided_at:%Y-%m-%d %H:%M}: {o.reason}"
            )
        console.print(f"{len(found)} override{'s' if len(found) != 1 else ''}")
        return 0
    with _progress() as progress:
        task = progress.add_task("override", total=None)
        if args.action == "add":
            o, refreshed = pipeline.change(
                db,
                lambda con: add_override(
                    con, name=args.name, uei=args.uei, firm_id=args.firm, decision=args.decision, by=args.by,
                    why=args.why,
                ),
                on_step=lambda step: progress.update(task, description=step),
            )  # fmt: skip
            done = (
                f"override #{o.override_id}: {o.scheme} {o.value!r} {o.decision.replace('_', ' ')} "
                f"{_firm_label(o.firm_id)} ({o.decided_by}: {o.reason})"
            )
        else:
            o, refreshed = pipeline.change(
                db,
                lambda con: remove_override(con, args.override_id),
                on_step=lambda step: progress.update(task, description=step),
            )
            done = f"removed override #{o.override_id} ({o.scheme} {o.raw_value!r} {o.decision} {o.firm_id})"
    if refreshed is None:
        console.print(f"{done}; run `exposure score` to apply it")
    else:
        console.print(
            f"{done}; the database is being served, so it was made in a refresh: published snapshot "
            f"{refreshed.snapshot.name}, scored as of {refreshed.scored.as_of}; servers switch to it within seconds"
        )
    return 0


def cmd_fetch(db: Path, args: argparse.Namespace) -> int:
    from datasets.sources.usaspending.api import AGENCIES
    from datasets.sources.usaspending.fetch import fetch_and_ingest

    if args.source == "goc-contracts":
        return _fetch_goc_contracts(db, args)
    if args.fiscal_year is None:
        raise CommandError("fetch usaspending needs --fiscal-year (the U.S. fiscal year, e.g. 2026)")
    if args.agency not in AGENCIES:
        raise CommandError(f"--agency must be one of {', '.join(sorted(AGENCIES))}, not {args.agency!r}")
    with _progress() as progress:
        task = progress.add_task(f"USAspending FY{args.fiscal_year} {args.agency}", total=None)
        reports = fetch_and_ingest(
            db,
            fiscal_year=args.fiscal_year,
            agency=args.agency,
            dest_dir=args.dest,
            base_url=args.base_url,
            timeout_seconds=args.timeout,
            poll_seconds=args.poll_seconds,
            on_step=lambda step: progress.update(task, description=step),
        )
    console.print(_report_table(reports))
    return 0


def _fetch_goc_contracts(db: Path, args: argparse.Namespace) -> int:
    from datasets.sources.goc_contracts.fetch import CONTRACTS_CSV_URL, fetch_and_ingest

    with _progress() as progress:
        task = progress.add_task("Government of Canada contracts", total=None)
        reports = fetch_and_ingest(
            db,
            dest_dir=args.dest,
            url=args.url or CONTRACTS_CSV_URL,
            on_step=lambda step: progress.update(task, description=step),
        )
    console.print(_report_table(reports))
    return 0


def cmd_federal_contracts(db: Path, firms: Sequence[str] | None, fiscal_years: Sequence[str] | None) -> int:
    from scoring.federal import NEAR_MISS
    from service.queries import federal

    filters = federal.FederalFilters(
        firm_id=tuple(f.lower() for f in firms or ()), fiscal_year=tuple(fiscal_years or ())
    )
    scored = _read_scored(
        db,
        lambda cur, snapshot: (
            federal.exposed_firms_with_ottawa_totals(cur, snapshot, filters),
            federal.federal_vendor_candidates(cur, snapshot, limit=10_000)[0],
        ),
    )
    if scored is None:
        return 1
    snapshot, (found, queue) = scored
    console.print(
        f"ICE/DHS-exposed firms holding Government of Canada contracts, as of {snapshot.as_of}: {len(found)} "
        "(CAD: GoC-Spending totals by vendor and fiscal year, from open.canada.ca's Proactive Disclosure of "
        "Contracts; never added to the USD figures)"
    )
    for firm in found:  # one line per firm, then one per fiscal year: reads the same in a terminal and a file
        console.print(
            f"{firm.firm_id} ({firm.firm_name}): score {firm.score:.2f} {firm.tier}; DHS USD "
            f"{firm.dhs_obligated_usd:,.2f} (ICE USD {firm.ice_obligated_usd:,.2f}); Government of Canada CAD "
            f"{firm.total_cad:,.2f} in {len(firm.totals)} vendor-years as "
            + ", ".join(repr(name) for name in firm.vendor_names)
        )
        for t in firm.totals:
            console.print(
                f"    {t.fiscal_year}  CAD {t.value_cad:>18,.2f}  {t.vendor_name!r} ({t.matched_by}); "
                f"{t.source_file} line {t.source_line}"
            )
    # Totals matched to a firm but not shown as its own: said here, so that an absence is never read as none.
    held = [c for c in queue if c.suggested_firm_id and not c.reasons[0].startswith(NEAR_MISS)]
    if filters.firm_id:
        held = [c for c in held if c.suggested_firm_id in filters.firm_id]
    if held:
        console.print(f"Held back for review (GET /v1/federal-contracts/candidates): {len(held)} vendor names")
        for c in held:
            console.print(f"    {c.vendor_name!r} ({c.suggested_firm_id}): CAD {c.total_cad:,.2f}; {c.reasons[0]}")
    return 0


def cmd_keys(settings: Settings, args: argparse.Namespace) -> int:
    from service.state import ServiceState

    state = ServiceState(settings.state_path)
    try:
        if args.action == "create":
            scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
            try:
                key, token = state.create_key(args.name, scopes, args.rate, args.quota)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            console.print(
                f"key {key.key_id} for {key.name}: scopes {','.join(sorted(key.scopes))}, "
                f"{key.rate_per_minute}/minute, {key.monthly_quota:,}/month"
            )
            console.print(f"token (shown once; only its hash is kept): {token}")
        elif args.action == "list":
            found = state.api_keys()
            for key, used in found:
                status = f"revoked {key.revoked_at}" if key.revoked_at else "live"
                console.print(
                    f"{key.key_id} {key.name}: {','.join(sorted(key.scopes))}; {used:,} of "
                    f"{key.monthly_quota:,} this month; {key.rate_per_minute}/minute; {status}"
                )
            console.print(f"{len(found)} key{'s' if len(found) != 1 else ''}")
        elif not state.revoke(args.key_id):
            raise CommandError(f"no live key {args.key_id!r}")
        else:
            console.print(f"revoked key {args.key_id}")
    finally:
        state.close()
    return 0


def cmd_refresh(
    db: Path, paths: Sequence[Path], as_of: date | None, serve: bool = False, notify: Path | None = None
) -> int:
    with _progress() as progress:
        task = progress.add_task("refresh", total=None)
        outcome = pipeline.refresh(
            db,
            paths,
            as_of,
            on_step=lambda step: progress.update(task, description=step),
            serve=serve,
            notify=notify,
        )
    if outcome.ingested:
        _print_ingest(outcome.ingested)
    _print_score(outcome.scored)
    console.print(f"published snapshot {outcome.snapshot.name} at {db}; running servers switch to it within seconds")
    if outcome.changes:
        told = sum(outcome.delivered.values())
        console.print(
            f"{outcome.changes} changes in the change log (GET /v1/changes); webhooks told: {told} of "
            f"{len(outcome.delivered)}"
        )
    return 0


def cmd_export_openapi(output: Path) -> int:
    from service.app import openapi_document

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(openapi_document(), indent=2, sort_keys=False) + "\n", encoding="utf-8")
    console.print(f"wrote {output}")
    return 0


def _settings(args: argparse.Namespace) -> Settings:
    """The environment read once (EXPOSURE_*), with what the command line said on top."""
    given = {name: getattr(args, name, None) for name in ("db", "host", "port", "workers")}
    return Settings(**{name: value for name, value in given.items() if value is not None})


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
    except ValueError as exc:  # pydantic's ValidationError: a bad EXPOSURE_* value
        errors.print(f"exposure {args.command}: configuration: {exc}")
        return 1
    db = settings.db
    if args.command not in CREATES_DATABASE and not db.exists():
        errors.print(f"exposure {args.command}: database {db} does not exist; run `exposure --db {db} init` first")
        return 1
    try:
        if args.command == "init":
            return cmd_init(db)
        if args.command == "ingest":
            return cmd_ingest(db, args.paths, args.kind)
        if args.command == "score":
            return cmd_score(db, args.as_of, args.serve)
        if args.command == "serve":
            return cmd_serve(settings)
        if args.command == "candidates":
            return cmd_candidates(db, args.limit, args.reason)
        if args.command == "export-openapi":
            return cmd_export_openapi(args.output)
        if args.command == "overrides":
            return cmd_overrides(db, args)
        if args.command == "keys":
            return cmd_keys(settings, args)
        if args.command == "fetch":
            return cmd_fetch(db, args)
        if args.command == "federal-contracts":
            return cmd_federal_contracts(db, args.firm, args.fiscal_year)
        if args.command == "refresh":
            return cmd_refresh(db, args.paths, args.as_of, args.serve, settings.state_path)
    except (CommandError, DataError) as exc:
        errors.print(f"exposure {args.command}: {exc}")
        return 1
    except Exception as exc:  # the one-line promise holds for the unexpected too
        errors.print(f"exposure {args.command}: unexpected error: {type(exc).__name__}: {exc}")
        return 2
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
