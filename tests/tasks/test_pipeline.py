"""The whole pipeline (tasks.pipeline.Pipeline) as people run it, `python -m tasks Pipeline --workers 2`, on the
embedded warehouse with the generator's data and Salesforce in a real PostgreSQL: two selections of dbt nodes asked
for by different tasks, two workers sharing one DuckDB warehouse, the Postgres scripts after the replication."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta

import luigi
from luigi.task import flatten

from targets.markers.snapshots import SNAPSHOTS
from tasks.base import EMBEDDED_WAREHOUSE, WarehouseTask
from tasks.extract.replication import ReplicateOrgmTable
from tasks.pipeline import Pipeline
from tasks.transform import dbt as dbt_tasks
from tasks.transform import manifest
from tests.conftest import ROOT, sample_warehouse

END = date.today() - timedelta(days=3)
DAYS = 3


def graph(root: luigi.Task) -> dict[str, luigi.Task]:
    """Every task under root, by task id."""
    found: dict[str, luigi.Task] = {}
    stack = [root]
    while stack:
        task = stack.pop()
        if task.task_id not in found:
            found[task.task_id] = task
            stack += flatten(task.requires())
    return found


def test_two_workers_run_the_pipeline_each_model_one_task(tmp_path, pg_db):
    options = {"write_back.min_rows": 1, "report.folder": tmp_path / "reports"}
    with sample_warehouse(tmp_path, pg_db, END - timedelta(days=DAYS - 1), DAYS, 30, seed=9, **options):
        root = Pipeline(end=END, days=DAYS)
        tasks = graph(root).values()
        # Pipeline asks for every node, the write-back for the frequent ones: each node is still one task.
        nodes = Counter(t.node for t in tasks if isinstance(t, dbt_tasks.DbtNode))
        assert set(nodes) == {n.unique_id for n in manifest.load().select("all")}
        assert set(nodes.values()) == {1}
        warehouse_tasks = [t for t in tasks if isinstance(t, WarehouseTask)]
        assert warehouse_tasks and all(t.resources == {EMBEDDED_WAREHOUSE: 1} for t in warehouse_tasks)

        config = tmp_path / "luigi.cfg"
        with config.open("w") as out:
            luigi.configuration.get_config().write(out)

        run = subprocess.run(
            [sys.executable, "-m", "tasks", "Pipeline", "--end", str(END), "--days", str(DAYS), "--local-scheduler",
             "--workers", "2"],
            cwd=ROOT, env={**os.environ, "LUIGI_CONFIG_PATH": str(config)}, capture_output=True, text=True, timeout=600,
        )  # fmt: skip

        assert run.returncode == 0, run.stderr[-6000:]
        SNAPSHOTS.clear()
        assert all(t.complete() for t in tasks)
        # The Postgres scripts write Salesforce tables the replication reads: they ran after every replication (two
        # workers would otherwise run them first, while the first worker holds the warehouse), so the run's marts do
        # not depend on the number of workers.
        scripts = [t.output().marker() for t in flatten(root.scripts.requires())]
        replications = [t.output().marker() for t in tasks if isinstance(t, ReplicateOrgmTable)]
        assert scripts and replications and None not in scripts + replications
        assert min(m.inserted for m in scripts) > max(m.inserted for m in replications)
        # The dbt batch, holding the warehouse alone, used the two workers as threads.
        assert "Concurrency: 2 threads (target='duckdb')" in (tmp_path / "dbt" / "logs" / "dbt.log").read_text()
