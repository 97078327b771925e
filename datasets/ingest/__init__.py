"""Shared load machinery: recognise a file by its header, read it set-wise with DuckDB, quarantine what
cannot be loaded, upsert the rest on natural keys, and record the source, all in one transaction.

One module per job: `inputs` opens CSV, .csv.gz and .zip files; `header` reads and checks the header row;
`kinds` recognises a file's kind; `steps` holds the named steps of a load and `load` runs them for one
file; `paths` loads a list of paths; `report` is the accounting of one load.
"""

from datasets.ingest.inputs import CsvInput, csv_inputs
from datasets.ingest.kinds import Kind, SourceMeta, detect_kind, one_spelling_each, own_format
from datasets.ingest.load import StepCallback, load_file
from datasets.ingest.paths import FileStepCallback, ingest_paths
from datasets.ingest.report import LoadReport

__all__ = [
    "CsvInput",
    "FileStepCallback",
    "Kind",
    "LoadReport",
    "SourceMeta",
    "StepCallback",
    "csv_inputs",
    "detect_kind",
    "ingest_paths",
    "load_file",
    "one_spelling_each",
    "own_format",
]
