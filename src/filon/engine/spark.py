"""Apache Spark engine: the same detector SQL, transpiled by sqlglot, on a Spark session.

For data that one machine cannot hold, point Spark at a cluster (`FILON_SPARK_MASTER`,
e.g. `spark://host:7077`, with the workspace on storage every worker reads). By default a
local session is started, capped to this machine. PySpark is imported here only, so the
rest of filon never pays for it.
"""

from __future__ import annotations

import os
from typing import Any

import sqlglot

from filon.errors import FilonError
from filon.standard.model import load_standard

#: Storage type of a column -> Spark SQL type, for tables the workspace has no rows of.
SPARK_TYPES = {"VARCHAR": "string", "DOUBLE": "double", "BIGINT": "bigint", "DATE": "date", "TIMESTAMP": "timestamp"}


class SparkUnavailable(FilonError, RuntimeError):
    """PySpark or Java is missing."""


def transpile(sql: str) -> str:
    """DuckDB SQL -> Spark SQL."""
    return sqlglot.transpile(sql, read="duckdb", write="spark")[0]


class SparkEngine:
    name = "spark"

    def __init__(self, workspace: Any) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError as err:
            raise SparkUnavailable("the Spark engine needs PySpark: pip install 'filon[spark]' "
                                   "(and Java 17 or newer)") from err
        builder = (SparkSession.builder.appName("filon")
                   .master(os.environ.get("FILON_SPARK_MASTER", "local[2]"))
                   .config("spark.ui.enabled", "false")
                   .config("spark.sql.shuffle.partitions", "4")
                   .config("spark.driver.memory", os.environ.get("FILON_SPARK_DRIVER_MEMORY", "2g"))
                   .config("spark.sql.session.timeZone", "UTC"))
        try:
            self.spark = builder.getOrCreate()
        except Exception as err:  # Java missing or too old surfaces here
            raise SparkUnavailable(f"Spark could not start ({str(err).splitlines()[0][:200]}). "
                                   "Install Java 17 or newer (Debian: openjdk-17-jre-headless).") from err
        self._register(workspace)

    def _register(self, workspace: Any) -> None:
        """One temporary view per table of the standard, with lineage like the DuckDB views."""
        from pyspark.sql import functions as F

        for table in load_standard():
            frames = []
            for b in (b for b in workspace.batches if b.table == table.name):
                df = self.spark.read.parquet(str(workspace.path / b.parquet))
                frames.append(df.select("*", F.lit(b.batch_id).alias("_batch_id"),
                                        F.lit(b.source_file).alias("_source_file"),
                                        (F.col("_metadata.row_index") + b.row_offset).alias("_source_row")))
            if frames:
                df = frames[0]
                for other in frames[1:]:
                    df = df.unionByName(other, allowMissingColumns=True)
            else:
                schema = ", ".join(f"`{c.name}` {SPARK_TYPES[c.storage_type]}" for c in table.columns)
                df = self.spark.createDataFrame([], schema + ", _batch_id string, _source_file string, _source_row bigint")
            df.createOrReplaceTempView(table.name)

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        rows = self.spark.sql(transpile(sql), args=list(params) if params else None).collect()
        return [r.asDict() for r in rows]

    def query_arrow(self, sql: str) -> Any:
        df = self.spark.sql(transpile(sql))
        if hasattr(df, "toArrow"):  # PySpark 4
            return df.toArrow()
        import pyarrow as pa

        return pa.Table.from_pylist([r.asDict() for r in df.collect()])

    def close(self) -> None:
        """Keep the session: starting Spark costs seconds, and one process may analyse twice."""
