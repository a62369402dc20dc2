"""The reliability suite: crashes (SIGKILL mid-run), bad input, failing dependencies (Postgres, S3, the webhook,
luigid), concurrent cron invocations and security, each trial compared row for row with a clean run of the same
generated data. `make reliability` (or `pytest tests/reliability`) runs it alone; `make test` runs it with the rest.
It prints a table of cases, trials, passes and what was compared at the end of the session."""
