"""Typed settings: one luigi.Config class per section of luigi.cfg.

Read them by instantiating the class inside a task or function (never at import time), e.g.
``warehouse().backend``. Secrets are not settings: see ``config.secrets``.

Luigi resolves every parameter of a Config class on each instantiation, and hot paths (each marker look-up, each
task's resources) read settings thousands of times a run: ``Settings`` classes resolve a section again only when
what it is read from changed (``_sources``).
"""

from __future__ import annotations

import warnings
from configparser import ConfigParser, NoSectionError
from typing import Any

import luigi
from luigi.cmdline_parser import CmdlineParser
from luigi.parameter import UnconsumedParameterWarning
from luigi.task_register import Register

BACKENDS = ("duckdb", "snowflake")

# luigi reads [core] rpc_retry_* in rpc.py, not through its core Config class, and warns wrongly that they are unused.
warnings.filterwarnings("ignore", "The configuration contains the parameter 'rpc_retry_", UnconsumedParameterWarning)

Sources = tuple[object, object, tuple[tuple[str, str], ...]]


def _sources(section: str) -> Sources | None:
    """What a section's values are read from: the configuration (which a reload or ``add_config_path`` may replace),
    the command line being run and the section's raw values with [DEFAULT]'s. None when that is not all: a value
    naming an environment variable (``${VAR}``), or a configuration that is not an INI parser."""
    config = luigi.configuration.get_config()
    if not isinstance(config, ConfigParser):
        return None
    try:
        raw = tuple(config.items(section, raw=True))
    except NoSectionError:
        raw = tuple(config.items(config.default_section, raw=True))
    if any("$" in (value or "") for _, value in raw):
        return None
    return config, CmdlineParser.get_instance(), raw


class _ReadOnChange(Register):
    """The metaclass of ``Settings``: an instantiation without arguments returns the instance read last while its
    section's sources (``_sources``) are the same objects with the same values."""

    _read: dict[type, tuple[Sources, Any]] = {}

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - a metaclass is called on a class
        if args or kwargs:
            return super().__call__(*args, **kwargs)
        sources = _sources(cls.get_task_family())
        known = _ReadOnChange._read.get(cls)
        if sources is not None and known is not None:
            (config, cmdline, raw), instance = known
            if config is sources[0] and cmdline is sources[1] and raw == sources[2]:
                return instance
        instance = super().__call__()
        if sources is not None:
            _ReadOnChange._read[cls] = (sources, instance)
        return instance


class Settings(luigi.Config, metaclass=_ReadOnChange):
    """A luigi.cfg section, read again only when it may have changed."""


class warehouse(Settings):  # noqa: N801 - the class name is the luigi.cfg section
    backend = luigi.ChoiceParameter(
        choices=BACKENDS,
        default="duckdb",
        description="Warehouse backend: duckdb (embedded, local and tests) or snowflake (production).",
    )
    duckdb_dir = luigi.Parameter(
        default="data/warehouse",
        description="Folder of the embedded warehouse: one DuckDB file per database (raw.duckdb, analytics.duckdb).",
    )
    databases = luigi.ListParameter(
        default=["raw", "analytics"],
        description="Warehouse databases; on DuckDB each is a file attached under this name.",
    )
    marker_table = luigi.Parameter(
        default="raw.pipeline.markers",
        description="Fully qualified marker table (database.schema.table).",
    )
    marker_refresh_seconds = luigi.FloatParameter(
        default=30.0,
        description="A marker not in this process's snapshot re-reads the table at most this often.",
    )
    copy_threads = luigi.IntParameter(
        default=2, description="DuckDB: units of files loaded at once, each in its own transaction (CPU cores to use)."
    )
    lock_timeout_seconds = luigi.FloatParameter(
        default=300.0,
        description="DuckDB: how long to wait for another process's lock on the warehouse files.",
    )


class snowflake(Settings):  # noqa: N801
    load_role = luigi.Parameter(default="LOADER", description="Role of the load tasks.")
    load_warehouse = luigi.Parameter(default="LOADING", description="Virtual warehouse of the load tasks.")
    transform_role = luigi.Parameter(default="TRANSFORMER", description="Role of dbt and write-back tasks.")
    transform_warehouse = luigi.Parameter(default="TRANSFORM_XS", description="Warehouse of dbt runs.")
    transform_database = luigi.Parameter(default="ANALYTICS", description="Database dbt builds the marts in.")
    transform_schema = luigi.Parameter(default="PUBLIC", description="dbt's default schema (models set their own).")
    permission_role = luigi.Parameter(
        default="PERMISSION_BOT",
        description="Role of the permission task's own session (its marker); permifrost itself runs as "
        "PERMISSION_BOT_ROLE (securityadmin).",
    )
    storage_integration = luigi.Parameter(
        default="S3_LANDING",
        description="Storage integration the external stages use, so no AWS key is ever in SQL text.",
    )
    upload_stage = luigi.Parameter(
        default="raw.pipeline.uploads",
        description="Internal stage the loader owns, where local files (table extracts) are put before COPY.",
    )
    login_timeout = luigi.IntParameter(default=60, description="Seconds to wait for a Snowflake login.")
    statement_timeout_seconds = luigi.IntParameter(
        default=3600,
        description="Snowflake cancels a statement running longer than this (STATEMENT_TIMEOUT_IN_SECONDS).",
    )
    lock_timeout_seconds = luigi.IntParameter(
        default=600,
        description="A statement waiting longer than this for a lock fails (LOCK_TIMEOUT; Snowflake's default: 12 h).",
    )
    network_timeout_seconds = luigi.IntParameter(
        default=3900,
        description="The connector gives up on a request after this long; above the statement timeout, so Snowflake "
        "cancels a long statement before the client abandons it.",
    )


class landing(Settings):  # noqa: N801
    url = luigi.Parameter(
        default="data/landing",
        description="Where the S3 sources land: s3://bucket/prefix, or a local folder for the embedded default.",
    )
    s3_endpoint_url = luigi.OptionalParameter(
        default=None,
        description="S3 endpoint override (a moto or MinIO server); AWS_ENDPOINT_URL works too.",
    )


class loading(Settings):  # noqa: N801
    late_arrival_hours = luigi.IntParameter(
        default=24,
        description="Files for a day can land this long after the day ends; until then the day's marker is "
        "provisional and the next run loads what arrived since.",
    )
    max_reject_share = luigi.FloatParameter(
        default=0.01,
        description="A load fails when rejected lines exceed this share of the partition's lines.",
    )
    catchup_days = luigi.IntParameter(default=7, description="Window the daily catch-up scans for missing days.")


class dbt(Settings):  # noqa: N801
    project_dir = luigi.Parameter(default="dbt", description="The dbt project folder.")
    target = luigi.OptionalParameter(default=None, description="dbt target; defaults to the warehouse backend's name.")
    target_path = luigi.OptionalParameter(
        default=None,
        description="Where dbt writes its artifacts (run_results.json, sources.json, a fresh manifest) and the "
        "pipeline reads them; unset = the project's target/. A read-only image sets a writable volume.",
    )
    log_path = luigi.OptionalParameter(
        default=None, description="Where dbt writes its log file; unset = the project's logs/."
    )
    nightly_warehouse = luigi.Parameter(
        default="TRANSFORM_L", description="Snowflake warehouse of the nightly selection (the large one)."
    )


class logs(Settings):  # noqa: N801 - the class name is the luigi.cfg section
    file = luigi.OptionalParameter(
        default=None,
        description="Where a run appends its whole log (Luigi's scheduling, each file loaded, dbt's output); the "
        "console then shows one line per task, warnings and Luigi's summary (--verbose: everything). Unset: "
        "everything on the console, as a pod's log needs it. make demo's local settings set data/logs/pipeline.log.",
    )


class alerts(Settings):  # noqa: N801
    username = luigi.Parameter(
        default="Luigi", description="Name the alerts are posted under (if the server lets webhooks override it)."
    )
    channel = luigi.OptionalParameter(
        default=None, description="Channel name (e.g. town-square) or @user; unset = the webhook's own channel."
    )
    icon_url = luigi.OptionalParameter(
        default=None, description="Avatar of the posts (if the server lets webhooks override it)."
    )
    visualiser_url = luigi.Parameter(
        default="http://localhost:8082/static/visualiser/index.html#tab=tasks&taskId={task_id}",
        description="Link to a task in the luigid visualiser; {task_id} is replaced (URL-quoted).",
    )
    log_url = luigi.OptionalParameter(
        default=None,
        description="Link to a task's logs (CloudWatch, Grafana...); {task_id}, {family} and {host} are replaced "
        "(URL-quoted). In luigi.cfg write a literal % as %%, and { } as {{ }}. Unset = no log link.",
    )
    timeout_seconds = luigi.FloatParameter(default=10.0, description="Timeout of one post to the webhook.")
    retries = luigi.IntParameter(
        default=3, description="Extra attempts after the first, on 429, 5xx, connection errors and timeouts."
    )
    backoff_seconds = luigi.FloatParameter(
        default=1.0,
        description="Wait before the first retry; doubles each retry (a 429's Retry-After wins, up to 30 s).",
    )


class kubernetes(Settings):  # noqa: N801 - the class name is the luigi.cfg section
    run_in_pods = luigi.BoolParameter(
        default=False,
        description="Run RunInPod tasks as Kubernetes Jobs (production); false runs them in this process.",
    )
    api_url = luigi.Parameter(
        default="https://kubernetes.default.svc", description="Kubernetes API server (in-cluster default)."
    )
    token_path = luigi.Parameter(
        default="/var/run/secrets/kubernetes.io/serviceaccount/token", description="Service account token (bearer)."
    )
    ca_path = luigi.Parameter(
        default="/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
        description="CA bundle that verifies the API server's certificate.",
    )
    namespace = luigi.OptionalParameter(
        default=None, description="Namespace of the Jobs; unset = this pod's own (from the service account)."
    )
    image = luigi.OptionalParameter(
        default=None, description="Image of the Jobs; unset = the image of the pod this worker runs in."
    )
    service_account = luigi.Parameter(
        default="bizops-task", description="Service account of the task pods (no API token is mounted)."
    )
    pod_start_timeout_seconds = luigi.FloatParameter(
        default=600.0,
        description="A Job whose container has not started by then fails (no node, quota, image pull...).",
    )
    poll_seconds = luigi.FloatParameter(default=5.0, description="Interval between status checks of a Job.")
    request_timeout_seconds = luigi.FloatParameter(
        default=30.0, description="Timeout of one API request; a quiet log stream reconnects after it."
    )
    api_retries = luigi.IntParameter(
        default=4,
        description="Extra attempts of an API request after a connection error, timeout, 429 or 5xx, waiting "
        "poll_seconds and doubling (a control-plane blip must not fail a running task).",
    )
    ttl_seconds_after_finished = luigi.IntParameter(
        default=3600, description="Kubernetes deletes a finished Job after this long if its worker did not."
    )


class report(Settings):  # noqa: N801 - the class name is the luigi.cfg section
    folder = luigi.Parameter(
        default="data/reports",
        description="Folder the HTML reports are written to (metrics-<date>.html), created if missing; in a pod, a "
        "writable volume (its files go with the pod: s3_url is where reports stay).",
    )
    s3_url = luigi.OptionalParameter(
        default=None,
        description="Where the reports are published: s3://bucket/prefix; each is uploaded to "
        "<s3_url>/metrics-<date>.html (text/html, the S3 client of [landing] s3_endpoint_url). Unset: the file in "
        "folder is the report (local runs, make demo).",
    )
    url = luigi.OptionalParameter(
        default=None,
        description="Where people open the published reports: the public URL of s3_url's prefix (or of folder "
        "without it), e.g. https://reports.example.com/metrics; the digest links <url>/metrics-<date>.html. "
        "Unset: the digest names the report's S3 URL, or its file.",
    )
    history_days = luigi.IntParameter(
        default=90, description="Days the report's charts cover, ending the digest's date."
    )
    stale_after_days = luigi.IntParameter(
        default=0,
        description="A log-based metric is stale when the newest day of its source that is both loaded (marker) and "
        "in its mart is more than this many days before the digest's date.",
    )
    salesforce_stale_hours = luigi.IntParameter(
        default=96,
        description="ARR is stale when the newest Salesforce change (systemmodstamp of the replicated account, "
        "opportunity and line-item tables) is older than this at the end of the digest's day; 96 h is the error "
        "threshold of dbt's orgm source freshness (quiet weekends are normal).",
    )


class postgres(Settings):  # noqa: N801 - the class name is the luigi.cfg section
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


class replication(Settings):  # noqa: N801
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
    compact_after_merges = luigi.IntParameter(
        default=48,
        description="Incremental runs of a table between two compactions of its storage. The runs in between "
        "only append (on DuckDB each adds a small row group and leaves its deleted rows in place); every "
        "this-many-th run, and every full load, also rewrites them (DuckDB: a vacuuming checkpoint).",
    )
    exclude_columns = luigi.ListParameter(
        default=[], description="Columns never copied to the warehouse, as table.column (e.g. contact.email)."
    )
    temp_dir = luigi.OptionalParameter(
        default=None, description="Where the CSV extracts are written (default: the system temp folder)."
    )


class write_back(Settings):  # noqa: N801
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
