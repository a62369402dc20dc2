"""Settings of the Postgres side: the SQL job runner, the orgm replication and the write-back queue.

Temporary home: these classes move to config/settings.py (same names, same sections). Read them by
instantiating the class inside a task or function, never at import time.
"""

from __future__ import annotations

import luigi


class postgres(luigi.Config):  # noqa: N801 - the class name is the luigi.cfg section
    scripts_dir = luigi.Parameter(
        default="sql/postgres",
        description="Folder of the SQL job scripts: every <name>.sql in it is a RunPostgresScript job.",
    )
    marker_table = luigi.Parameter(
        default="staging.table_updates",
        description="Postgres marker table (schema.table) of the script jobs, written in each script's transaction.",
    )
    slot_hours = luigi.IntParameter(
        default=1,
        description="Length of a script run slot in hours (a divisor of 24): each script runs once per slot.",
    )
    statement_timeout_seconds = luigi.IntParameter(
        default=900, description="A script or write-back statement running longer than this fails (0 = no limit)."
    )
    lock_timeout_seconds = luigi.IntParameter(
        default=60,
        description="A statement waiting longer than this for a lock fails (0 = wait forever), e.g. behind "
        "Heroku Connect's own writes.",
    )
    connect_timeout_seconds = luigi.IntParameter(default=30, description="Seconds to wait for a connection.")
    sslmode = luigi.OptionalParameter(
        default=None,
        description="libpq sslmode (e.g. require); unset = what the HEROKU_POSTGRESQL_URL DSN says (libpq: prefer).",
    )


class replication(luigi.Config):  # noqa: N801
    tables = luigi.ListParameter(
        default=["account", "opportunity", "opportunitylineitem", "contact", "user", "task", "delete_history__c"],
        description="orgm tables ReplicateOrgm copies to the warehouse.",
    )
    source_schema = luigi.Parameter(default="orgm", description="Postgres schema the tables are read from.")
    target_schema = luigi.Parameter(
        default="raw.orgm", description="Warehouse database.schema the tables are replicated into."
    )
    state_table = luigi.Parameter(
        default="raw.pipeline.replication_state",
        description="Warehouse table of bookmarks: one row per table, updated in the transaction holding the data.",
    )
    key = luigi.Parameter(default="sfid", description="Primary key column of every replicated table.")
    replication_key = luigi.Parameter(
        default="systemmodstamp", description="Column whose value only grows when a row changes (the bookmark)."
    )
    delete_history_table = luigi.Parameter(
        default="delete_history__c",
        description="Table whose object_id__c lists deleted records; they are removed from every replicated table.",
    )
    lookback_minutes = luigi.IntParameter(
        default=60,
        description="Each incremental run re-reads rows this far before the bookmark: Heroku Connect writes rows "
        "with Salesforce's systemmodstamp minutes after it, so a row can land behind the bookmark. Re-read "
        "rows whose systemmodstamp did not change are skipped.",
    )
    slot_minutes = luigi.IntParameter(
        default=30, description="Length of a replication run slot in minutes (a divisor of 1440)."
    )
    exclude_columns = luigi.ListParameter(
        default=[], description="Columns never copied to the warehouse, as table.column (e.g. contact.email)."
    )
    temp_dir = luigi.OptionalParameter(
        default=None, description="Where the CSV extracts are written (default: the system temp folder)."
    )


class write_back(luigi.Config):  # noqa: N801
    queue_table = luigi.Parameter(
        default="analytics.util.pg_imports",
        description="The reverse-ETL queue in the warehouse (created by dbt's util.pg_imports, or by the task).",
    )
    post_process_dir = luigi.Parameter(
        default="sql/postgres/post_process",
        description="Folder of the post-process scripts named by the queue's post_process_file.",
    )
    min_rows = luigi.IntParameter(
        default=500,
        description="Refuse to replace a Postgres table with fewer rows than this (a broken build must not "
        "wipe Salesforce); the queue row stays unprocessed.",
    )
    min_share_of_current = luigi.FloatParameter(
        default=0.5,
        description="Refuse to replace a Postgres table with fewer rows than this share of its current rows.",
    )
    min_rows_by_destination = luigi.DictParameter(
        default={},
        description='Per-destination override of min_rows, e.g. {"staging.small_table": 0}.',
    )
    slot_minutes = luigi.IntParameter(
        default=30, description="Length of a drain slot in minutes: the queue is drained once per slot."
    )
    fetch_rows = luigi.IntParameter(
        default=50_000, description="Rows per fetch when a backend streams a table out through its cursor."
    )
    temp_dir = luigi.OptionalParameter(
        default=None, description="Where the unloaded CSV files are written (default: the system temp folder)."
    )
