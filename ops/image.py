"""`python -m ops.image` (`make image`): build the pipeline image with this machine's container engine, named as
the rehearsal overlay runs it (``--tag`` for another name, e.g. a release in the registry).

The base is the Dockerfile's PYTHON_IMAGE, the official Python image, where a registry serves it; where none is
reachable, a stand-in made here from Debian packages (ops.base_image).
"""

from __future__ import annotations

import argparse
import re
import ssl
import subprocess
import sys
import time
from pathlib import Path

from config.environments import REHEARSAL
from ops import base_image
from ops.engine import Engine, EngineError, detect

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"


def official_base() -> str:
    """The default of the Dockerfile's PYTHON_IMAGE argument."""
    found = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    if found is None:
        raise EngineError("the Dockerfile declares no `ARG PYTHON_IMAGE=<default>`")
    return found.group(1)


def choose_base(engine: Engine) -> str:
    official = official_base()
    if engine.has_image(official) or engine("pull", official, check=False).returncode == 0:
        return official
    print(f"{official} cannot be pulled (no registry reachable): building on a stand-in made from Debian packages")
    return base_image.ensure(engine)


def code_version() -> str:
    """The commit the image is built from, marked -dirty when the working tree differs from it."""
    return subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=40"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip


def build(engine: Engine, base: str, tag: str) -> None:
    args = ["build", *engine.limits, "--build-arg", f"PYTHON_IMAGE={base}",
            "--build-arg", f"BIZOPS_CODE_VERSION={code_version()}", "--tag", tag]  # fmt: skip
    if bundle := ssl.get_default_verify_paths().cafile:
        args += ["--secret", f"id=ca-bundle,src={bundle}"]  # the Dockerfile's pip step trusts what this machine does
    if engine.name == "podman":
        args += ["--network", "host"]  # the pip step reaches the index as this machine does (no bridge set up)
    engine(*args, str(ROOT), capture_output=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.image", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tag", default=f"{REHEARSAL.image}:{REHEARSAL.tag}", help="image name (default: %(default)s)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        engine = detect()
        base = choose_base(engine)
        print(f"building {args.tag} with {engine.name} on {base}", flush=True)
        build(engine, base, args.tag)
    except EngineError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"built {args.tag} in {time.monotonic() - started:.0f} s ({engine.name}, base {base})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
