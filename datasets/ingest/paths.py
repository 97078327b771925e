"""Loading a list of paths: each plain CSV, .csv.gz, or CSV member of a .zip, in order, each in its own
transaction. The one loop that `exposure ingest`, `exposure fetch`, the bundled data and the tests share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import duckdb

from datasets.errors import DataError
from datasets.ingest.inputs import csv_inputs
from datasets.ingest.kinds import Kind
from datasets.ingest.load import load_file
from datasets.ingest.report import LoadReport

# (the name a file is reported under, the step it has reached): "opening" per path, then the load's steps.
FileStepCallback = Callable[[str, str], None]


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[Path],
    kinds: Sequence[Kind],
    *,
    kind: str | None = None,
    name_prefix: str = "",
    on_step: FileStepCallback | None = None,
    on_file: Callable[[Path], None] | None = None,
    on_refused: Callable[[Path, DataError], None] | None = None,
) -> list[LoadReport]:
    """Load every CSV in `paths` as one of `kinds` (only the kind named `kind`, when given), reporting each
    under `name_prefix` + its file name; returns one report per CSV loaded.

    A refused path raises its DataError, keeping the files loaded before it, unless `on_refused` is given:
    then it is told, and the paths after it still load. `on_file` is called once each path is done with,
    loaded or refused; `on_step` follows the progress within each."""
    step = on_step or (lambda _name, _step: None)
    reports: list[LoadReport] = []
    for path in paths:
        display_name = f"{name_prefix}{path.name}"
        step(display_name, "opening")
        try:
            with csv_inputs(path, display_name=display_name) as inputs:
                for source in inputs:

                    def show(progress: str, name: str = source.display_name) -> None:
                        step(name, progress)

                    reports.append(load_file(con, source, kinds, only_kind=kind, on_step=show))
        except DataError as exc:
            if on_refused is None:
                raise
            on_refused(path, exc)
        finally:
            if on_file is not None:
                on_file(path)
    return reports
