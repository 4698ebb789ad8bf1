"""The workspace: Parquet files per table and batch, a manifest, and DuckDB views over them."""

from filon.store.workspace import Batch, Workspace

__all__ = ["Batch", "Workspace"]
