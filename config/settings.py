"""Typed settings: one luigi.Config class per section of luigi.cfg.

Read them by instantiating the class inside a task or function (never at import time), e.g.
``warehouse().backend``. Secrets are not settings: see ``config.secrets``.
"""

from __future__ import annotations

import luigi


class warehouse(luigi.Config):  # noqa: N801 - the class name is the luigi.cfg section
    backend = luigi.ChoiceParameter(
        choices=("duckdb", "snowflake"),
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
        default=2, description="DuckDB: files loaded at once, each in its own transaction (CPU cores to use)."
    )
    lock_timeout_seconds = luigi.FloatParameter(
        default=300.0,
        description="DuckDB: how long to wait for another process's lock on the warehouse files.",
    )


class snowflake(luigi.Config):  # noqa: N801
    load_role = luigi.Parameter(default="LOADER", description="Role of the load tasks.")
    load_warehouse = luigi.Parameter(default="LOADING", description="Virtual warehouse of the load tasks.")
    transform_role = luigi.Parameter(default="TRANSFORMER", description="Role of dbt and write-back tasks.")
    transform_warehouse = luigi.Parameter(default="TRANSFORM_XS", description="Warehouse of dbt runs.")
    storage_integration = luigi.Parameter(
        default="S3_LANDING",
        description="Storage integration the external stages use, so no AWS key is ever in SQL text.",
    )
    login_timeout = luigi.IntParameter(default=60, description="Seconds to wait for a Snowflake login.")


class landing(luigi.Config):  # noqa: N801
    url = luigi.Parameter(
        default="data/landing",
        description="Where the S3 sources land: s3://bucket/prefix, or a local folder for the embedded default.",
    )
    s3_endpoint_url = luigi.OptionalParameter(
        default=None,
        description="S3 endpoint override (a moto or MinIO server); AWS_ENDPOINT_URL works too.",
    )


class loading(luigi.Config):  # noqa: N801
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


class dbt(luigi.Config):  # noqa: N801
    project_dir = luigi.Parameter(default="dbt", description="The dbt project folder.")
    target = luigi.OptionalParameter(default=None, description="dbt target; defaults to the warehouse backend's name.")
    nightly_warehouse = luigi.Parameter(
        default="TRANSFORM_L", description="Snowflake warehouse of the nightly selection (the large one)."
    )


class alerts(luigi.Config):  # noqa: N801
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


class kubernetes(luigi.Config):  # noqa: N801 - the class name is the luigi.cfg section
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


class report(luigi.Config):  # noqa: N801 - the class name is the luigi.cfg section
    folder = luigi.Parameter(
        default="data/reports", description="Folder the HTML reports are written to (metrics-<date>.html)."
    )
    url = luigi.OptionalParameter(
        default=None,
        description="Where people open that folder (e.g. https://reports.example.com/metrics): the digest links "
        "<url>/metrics-<date>.html. Unset: the digest names the file.",
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
