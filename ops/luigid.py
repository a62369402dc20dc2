"""``make luigid``: the central scheduler and its visualiser, listening where the workers look for it ([core]
scheduler_port, 8082 unless a setting says otherwise), with the local settings read first as every entry point
reads them (config.local): a port or state path set there serves both sides. Its log goes to data/luigid."""

from __future__ import annotations

import sys
from pathlib import Path

import luigi.cmdline
import luigi.interface

from config import local
from config.local import LocalSettingsError

LOG_DIR = Path("data/luigid")


def main(argv: list[str] | None = None) -> int:
    try:
        local.apply()
    except LocalSettingsError as exc:
        print(exc, file=sys.stderr)
        return 1
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    port = luigi.interface.core().scheduler_port
    print(f"luigid: the visualiser is on http://localhost:{port}; its log in {LOG_DIR}", flush=True)
    luigi.cmdline.luigid(["--port", str(port), "--logdir", str(LOG_DIR), *(sys.argv[1:] if argv is None else argv)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
