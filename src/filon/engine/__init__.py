"""Execution engines. DuckDB is embedded and the default; other engines plug in here."""
