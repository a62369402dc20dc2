"""The Dockerfile, checked offline (platform-facts §7): hadolint and the project's conventions (a pinned base image,
the uid the manifests run as, no secret in a layer)."""

from __future__ import annotations

import re
import subprocess

from config import secrets
from services.pods import UID
from tests.conftest import ROOT, tool

# hadolint: no rule is ignored.


def test_hadolint_passes_on_the_dockerfile() -> None:
    result = subprocess.run([tool("hadolint"), "--no-color", ROOT / "Dockerfile"], capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_conventions() -> None:
    text = (ROOT / "Dockerfile").read_text()
    instructions = [line.split(None, 1) for line in text.splitlines() if line and not line[0].isspace()
                    and not line.startswith("#")]  # fmt: skip
    (image,) = [rest for op, rest in instructions if op == "FROM"]
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", image.strip()), "a pinned python 3.11 slim tag"
    (user,) = [rest.strip() for op, rest in instructions if op == "USER"]
    assert user == f"{UID}:{UID}", "the uid the manifests run as"
    for op, rest in instructions:
        if op == "COPY":
            *sources, _ = rest.split()
            missing = [s for s in sources if not (ROOT / s).exists()]
            assert not missing, f"COPY {missing}: absent from the repository, so `docker build` would fail"
        if op in ("ENV", "ARG"):
            names = set(re.findall(r"\b([A-Z][A-Z0-9_]+)=", rest)) | {rest.split("=")[0].strip()}
            assert not names & {s.env for s in secrets.REGISTRY}, f"a secret in an image layer: {op} {rest}"
    assert "dbt parse" in text and "DBT_TARGET_PATH=/tmp/dbt/target" in text and "DBT_LOG_PATH=/tmp/dbt/logs" in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"dbt/target", ".venv", "data", "**/.env"} <= set(ignored)
