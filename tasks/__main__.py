"""`python -m tasks <Task> [params]`: the `luigi --module tasks` command with Luigi's exit codes, plus one
Mattermost summary when anything failed, was disabled or was left pending. What cron runs."""

import sys

from services.alerts.run import run_with_retcodes

if __name__ == "__main__":
    sys.exit(run_with_retcodes(["--module", "tasks", *sys.argv[1:]]))
