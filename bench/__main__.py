"""`python -m bench [--small]`: run every benchmark and print its ratio against its in-run baseline."""

from __future__ import annotations

import argparse

from bench import scoring_bench


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--small", action="store_true", help="a tenth of the sizes, for a quick look")
    args = parser.parse_args()
    sizes = scoring_bench.Sizes()
    if args.small:
        sizes = scoring_bench.Sizes(transactions=100_000, firms=5_000, parents=1_000, edges=6_000)
    print("== rescoring: Polars pipeline vs hand-written DuckDB SQL")
    scoring_bench.run(sizes)


if __name__ == "__main__":
    main()
