"""The table's task counts come from Luigi's own execution summary, as a CronJob's log ends with it."""

from __future__ import annotations

from pathlib import Path

import luigi

from rehearsal.results import task_counts


class Done(luigi.Task):
    def complete(self) -> bool:
        return True


class Fails(luigi.Task):
    def run(self) -> None:
        raise RuntimeError("on purpose")

    def complete(self) -> bool:
        return False


class Root(luigi.WrapperTask):
    def requires(self) -> list[luigi.Task]:
        return [Done(), Fails(), Works()]


class Works(luigi.Task):
    ran = False

    def run(self) -> None:
        Works.ran = True

    def complete(self) -> bool:
        return Works.ran


def test_counts_of_a_real_run_summary(tmp_path: Path) -> None:
    result = luigi.build([Root()], local_scheduler=True, detailed_summary=True)
    log = tmp_path / "pod.log"
    log.write_text("2026-12-05 03:00:00,000 INFO luigi-interface: a line\n" + result.summary_text + "\n")
    assert task_counts(log) == {"run": 1, "complete": 1, "failed": 1, "pending": 1}


def test_a_log_without_a_summary_counts_nothing(tmp_path: Path) -> None:
    log = tmp_path / "pod.log"
    log.write_text("Traceback (most recent call last):\n...\n")
    assert task_counts(log) == {"run": 0, "complete": 0, "failed": 0, "pending": 0}
