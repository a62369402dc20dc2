"""Tasks test_luigi_cfg.py runs in separate `luigi` processes (importable as tests.luigi_fixtures)."""

import os

import luigi


class AlwaysFails(luigi.Task):
    """Fails every time, counting its attempts in a file."""

    attempts_file = luigi.Parameter()

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(self.attempts_file + ".done")

    def run(self) -> None:
        with open(self.attempts_file, "a") as f:
            f.write(f"{os.getpid()}\n")
        raise RuntimeError("this task always fails")
