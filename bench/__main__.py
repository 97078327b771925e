"""`python -m bench [--small] [--full] [--only scoring|api|matching|ingest|universe|snapshot]`: run the benchmarks and
print each one's ratio against its in-run baseline."""

from __future__ import annotations

import argparse

from bench import api_bench, ingest_bench, matching_bench, scoring_bench, snapshot_bench, universe_bench


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--small", action="store_true", help="a tenth of the sizes, for a quick look")
    parser.add_argument("--full", action="store_true", help="full sizes where they are costly (ingest: 10M rows)")
    parser.add_argument(
        "--only",
        choices=["scoring", "api", "matching", "ingest", "universe", "snapshot"],
        help="run just this benchmark (default: all)",
    )
    parser.add_argument(
        "--ingest-rows",
        type=int,
        default=None,
        metavar="N",
        help="rows in the ingest benchmark's file (default 1M; 100k with --small; 10M with --full)",
    )
    parser.add_argument(
        "--api-duration",
        type=int,
        default=None,
        metavar="SECONDS",
        help="seconds of load per API endpoint (default 5; 2 with --small)",
    )
    parser.add_argument(
        "--load-generator",
        choices=["auto", "wrk", "builtin"],
        default="auto",
        help="API load generator: wrk if on PATH (auto), or the built-in httpx asyncio client",
    )
    args = parser.parse_args()
    if args.small and args.full:
        parser.error("--small and --full are exclusive")
    if args.only in (None, "scoring"):
        sizes = scoring_bench.Sizes()
        if args.small:
            sizes = scoring_bench.Sizes(transactions=100_000, firms=5_000, parents=1_000, edges=6_000)
        print("== rescoring: Polars pipeline vs hand-written DuckDB SQL")
        scoring_bench.run(sizes)
    if args.only in (None, "matching"):
        print("== matching: precision and recall on the labelled sets; 10,000 names vs an exact lookup")
        matching_bench.run()
    if args.only in (None, "universe"):
        print("== universe: 10,000 holdings screened against every listed issuer; server start with it loaded")
        universe_bench.run()
    if args.only in (None, "snapshot"):
        print("== snapshot: opening a store of 5,000 scored firms, as a server does after a refresh")
        snapshot_bench.run(snapshot_bench.SnapshotConfig(firms=500 if args.small else 5_000))
    if args.only in (None, "api"):
        duration = args.api_duration if args.api_duration is not None else (2 if args.small else 5)
        if duration < 1:
            parser.error("--api-duration must be at least 1 second")
        print("== HTTP API: the service vs a bare FastAPI app, both under uvicorn (1 worker)")
        rounds = 1 if args.small else 3
        api_bench.run(api_bench.ApiConfig(duration=duration, rounds=rounds, generator=args.load_generator))

    if args.only in (None, "ingest"):
        rows = args.ingest_rows
        if rows is None:
            rows = 10_000_000 if args.full else 100_000 if args.small else 1_000_000
        if rows < 1:
            parser.error("--ingest-rows must be at least 1")
        print("== ingest: exposure's load vs DuckDB's bare read_csv into a table, same file, fresh databases")
        ingest_bench.run(ingest_bench.IngestConfig(rows=rows))


if __name__ == "__main__":
    main()
