"""Test-only, put on PYTHONPATH by the security case: every DuckDB connection of the process (the pipeline's and
dbt's) writes DuckDB's own query log to files under RELIABILITY_DUCKDB_QUERY_LOG, so the suite can read the SQL
text a whole run executed. Does nothing without that variable."""

import itertools
import os

_folder = os.environ.get("RELIABILITY_DUCKDB_QUERY_LOG")
if _folder:
    import duckdb

    _connect = duckdb.connect
    _ids = itertools.count()

    def _logged_connect(*args: object, **kwargs: object) -> duckdb.DuckDBPyConnection:
        con = _connect(*args, **kwargs)
        path = os.path.join(_folder, f"{os.getpid()}-{next(_ids)}").replace("'", "''")
        con.execute(f"CALL enable_logging('QueryLog', storage = 'file', storage_path = '{path}')").fetchall()
        return con

    duckdb.connect = _logged_connect
