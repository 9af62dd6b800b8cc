"""Storage: the DuckDB warehouse, the lake, table contracts and row checks, retention."""
