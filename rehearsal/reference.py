"""The reference the rehearsal's marts must equal: the demo's way of running the pipeline (every file landed at
once, one `Pipeline` run over the whole window with a local scheduler, on the embedded warehouse) on the same
sample, in the same image, so both run the same code; and the comparison of the two warehouses' marts, row for row.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import psycopg2

from config.environments import SCRATCH
from devdata.generate import Dataset
from devdata.model import LandingFile
from devdata.writers import new_database, write_files
from rehearsal.days import Days, write_segment
from rehearsal.pods import Node, Outcome
from services.pods import TASK_SERVICE_ACCOUNT, worker_pod_spec

# The write-back's queue: rows say when dbt queued them and when the write-back took them, so they differ by run.
QUEUE = "util.pg_imports"
LOAD_TIMES = ("loaded_at", "_loaded_at")  # when a run loaded the row: not data, and different in any two runs
FOLDER = "/reference"  # where the reference pod mounts its folder (landing, warehouse, settings)


def run(node: Node, image: str, dataset: Dataset, files: list[LandingFile], server_dsn: str, days: Days,
        settings: dict[str, dict[str, str]], env: dict[str, str]) -> tuple[Outcome, Path]:  # fmt: skip
    """Run the reference as a pod of the image, over the files that landed, the Segment tables and Salesforce's
    database as the rehearsal left it; (its outcome, its warehouse folder). ``settings`` are the luigi.cfg values it
    shares with the rehearsal (its stand-ins'); ``env`` the sample's locations."""
    folder = node.claim("reference")
    write_files(files, str(folder / "landing"))
    # Salesforce as it stands at the end, the pipeline's own write-back to it included
    dsn = new_database(server_dsn, "reference", template=psycopg2.extensions.parse_dsn(server_dsn)["dbname"])
    write_segment(dataset, folder / "warehouse")
    local = {
        **settings,
        "warehouse": {"backend": "duckdb", "duckdb_dir": f"{FOLDER}/warehouse"},
        "landing": {"url": f"{FOLDER}/landing"},
        "dbt": {"target_path": f"{SCRATCH}/dbt/target", "log_path": f"{SCRATCH}/dbt/logs"},
        "report": {"folder": f"{SCRATCH}/reports"},
    }
    (folder / "luigi.cfg").write_text("".join(f"[{s}]\n" + "".join(f"{k} = {v}\n" for k, v in o.items())
                                              for s, o in local.items()))  # fmt: skip
    values = {**env, "HEROKU_POSTGRESQL_URL": dsn, "LUIGI_CONFIG_PATH": f"{FOLDER}/luigi.cfg"}
    pod = worker_pod_spec(
        image=image,
        command=["python", "-m", "tasks", "Pipeline", "--end", str(days.day2), "--days", str(days.count),
                 "--local-scheduler"],
        env=[{"name": k, "value": v} for k, v in values.items()], cpu="2", memory="4Gi",
        service_account=TASK_SERVICE_ACCOUNT, api_token=False,
    )  # fmt: skip
    pod["volumes"].append({"name": "reference", "persistentVolumeClaim": {"claimName": "reference"}})
    pod["containers"][0]["volumeMounts"].append({"name": "reference", "mountPath": FOLDER})
    return node.run("reference", pod, 3600, {}, []), folder / "warehouse"


def marts(warehouse: Path) -> dict[str, Counter[str]]:
    """Every table and view of the analytics database (the write-back queue aside): its rows, load times left out,
    as a multiset."""
    with duckdb.connect() as con:
        for database in ("raw", "analytics"):
            con.execute(f"ATTACH ? AS {database} (READ_ONLY)", [str(warehouse / f"{database}.duckdb")])
        columns = con.execute(
            "SELECT schema_name || '.' || table_name, list(column_name ORDER BY column_index) FROM duckdb_columns() "
            "WHERE database_name = 'analytics' GROUP BY ALL"
        ).fetchall()
        out = {}
        for name, names in columns:
            if name == QUEUE:
                continue
            schema, relation = name.split(".")
            kept = ", ".join(f'"{c}"' for c in names if c not in LOAD_TIMES)
            rows = con.execute(f'SELECT {kept} FROM analytics."{schema}"."{relation}"').fetchall()
            out[name] = Counter(map(repr, rows))
        return out


def differences(rehearsed: dict[str, Counter[str]], reference: dict[str, Counter[str]]) -> list[str]:
    """One line per mart that is not equal, row for row, in both."""
    lines = []
    for name in sorted(rehearsed.keys() | reference.keys()):
        if name not in rehearsed or name not in reference:
            lines.append(f"{name}: only in the {'rehearsal' if name in rehearsed else 'reference'}")
            continue
        extra, missing = rehearsed[name] - reference[name], reference[name] - rehearsed[name]
        if extra or missing:
            lines.append(f"{name}: {sum(extra.values())} row(s) only in the rehearsal, {sum(missing.values())} only "
                         f"in the reference, e.g. {next(iter(extra or missing))[:300]}")  # fmt: skip
    return lines
