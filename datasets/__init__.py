"""The data layer: where data comes from and how it lands in DuckDB."""
