"""The Dockerfile, checked offline: hadolint and the project's conventions (a pinned base image given as a build
argument, runtime dependencies only, the uid the manifests run as, no secret in a layer, nothing written under the
read-only /app at run time)."""

from __future__ import annotations

import re
import subprocess
import tomllib

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
    assert image.strip() == "${PYTHON_IMAGE}", "the base is a build argument (make image may pass a stand-in)"
    (base,) = [rest for op, rest in instructions if op == "ARG" and rest.startswith("PYTHON_IMAGE=")]
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11\.\d+-slim-\w+", base.strip()), "a pinned python 3.11 slim tag"
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
    # dbt's manifest is baked in by the pipeline's own parse; where dbt writes at run time is the pipeline's setting
    # ([dbt] target_path, config.environments), not a second answer in the image
    assert "from tasks.transform.manifest import load; load()" in text
    assert "DBT_TARGET_PATH" not in text and "DBT_LOG_PATH" not in text
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    assert "-r requirements-runtime.lock" in code and "requirements.lock" not in code, "runtime dependencies only"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"dbt/target", ".venv", "data", "**/.env"} <= set(ignored)


def _pins(name: str) -> dict[str, str]:
    lines = (ROOT / name).read_text().splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    return {re.sub(r"[-_.]+", "-", package).lower(): version for package, version in pins.items()}


def test_the_image_installs_the_runtime_lock_at_the_dev_locks_versions() -> None:
    """Both locks come from `make lock`: the runtime one is what the image installs, the dev one adds the tools."""
    runtime, dev = _pins("requirements-runtime.lock"), _pins("requirements.lock")
    assert runtime.items() <= dev.items(), "a package pinned differently in the two locks"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower() for d in project["dependencies"]]
    assert {re.sub(r"[-_.]+", "-", n) for n in names} <= runtime.keys()
    tools = {re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0].lower() for d in project["optional-dependencies"]["dev"]}
    assert tools <= dev.keys() and not tools & runtime.keys(), "the dev and test tools stay out of the image"
    assert not {"pytest", "moto", "fakesnow", "ruff", "cfn-lint", "docker", "responses"} & runtime.keys()
