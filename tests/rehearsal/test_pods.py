"""A pod of the manifests as a container: every field the kubelet honours becomes an engine option (image, command,
env from the Secret, volumes, security context, limits), and a field the runner does not know stops it."""

from __future__ import annotations

import copy
import itertools
from pathlib import Path

import pytest

from config import secrets
from config.environments import REHEARSAL
from config.schedules import SCHEDULES
from ops.engine import PODMAN, Engine, EngineError, detect
from ops.manifests import cronjob
from rehearsal.pods import Node, PodError, pod_spec, quantity
from services.pods import CONFIG_MAP, UID, worker_pod_spec
from tests.conftest import missing

DAILY = next(s for s in SCHEDULES if s.name == "daily-loads")
VALUES = {s.key: f"value-of-{s.key}" for s in secrets.REGISTRY if not s.optional}


def node(root: Path, engine: Engine | None = None) -> Node:
    return Node(engine or Engine("podman", PODMAN), root, {CONFIG_MAP: {"luigi.cfg": "[core]\n"}},
                {secrets.K8S_SECRET: dict(VALUES)}, {"luigid": "127.0.0.1"})  # fmt: skip


def test_quantities() -> None:
    assert (quantity("500m"), quantity("2"), quantity("2Gi"), quantity("256Mi"), quantity("1G")) == (
        0.5, 2.0, 2 * 2**30, 256 * 2**20, 10**9)  # fmt: skip


def test_a_cronjob_pod_becomes_the_container_its_manifest_says(tmp_path: Path) -> None:
    pod = pod_spec(cronjob(DAILY))
    options = node(tmp_path).options("daily-loads-1", pod, {"EXTRA": "1"}, [])
    (container,) = pod["containers"]
    command = container["command"]
    assert options[-len(command) - 2 :] == ["--entrypoint", command[0], container["image"], *command[1:]]
    pairs = set(itertools.pairwise(options))
    assert {
        ("--user", f"{UID}:{UID}"),
        ("--group-add", str(UID)),
        ("--security-opt", "no-new-privileges"),
        ("--memory", str(2 * 2**30)),
        ("--cpus", "1"),
        ("--network", "host"),
        ("--pull", "never"),
    } <= pairs
    assert {"--read-only", "--read-only-tmpfs=false", "--cap-drop=ALL", "--add-host=luigid:127.0.0.1"} <= set(options)
    assert f"--tmpfs=/tmp:rw,exec,nosuid,nodev,U,size={2 * 2**30}" in options
    assert f"--volume={tmp_path / 'configmaps' / CONFIG_MAP}:/etc/bizops:ro" in options
    assert (tmp_path / "configmaps" / CONFIG_MAP / "luigi.cfg").read_text() == "[core]\n"
    env_file = Path(options[options.index("--env-file") + 1])
    assert env_file.stat().st_mode & 0o777 == 0o600, "secrets in a file only root reads"
    env = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    for entry in container["env"]:
        ref = entry.get("valueFrom", {}).get("secretKeyRef")
        if ref and not ref.get("optional"):
            assert env[entry["name"]] == VALUES[ref["key"]]
    assert env["BIZOPS_RUN_ID"] == "daily-loads-1" and env["EXTRA"] == "1"
    assert env["LUIGI_CONFIG_PATH"] == "/etc/bizops/luigi.cfg"


def test_what_the_runner_cannot_honour_stops_it(tmp_path: Path) -> None:
    pod = pod_spec(cronjob(DAILY))
    with pytest.raises(PodError, match="hostNetwork"):
        node(tmp_path).options("x", {**pod, "hostNetwork": True}, {}, [])
    with pytest.raises(PodError, match="no key"):
        Node(Engine("podman", PODMAN), tmp_path, {CONFIG_MAP: {}}, {secrets.K8S_SECRET: {}}, {}).options(
            "x", pod, {}, [])  # fmt: skip
    hostpath = copy.deepcopy(pod)
    hostpath["volumes"][0] = {"name": "tmp", "hostPath": {"path": "/"}}
    with pytest.raises(PodError, match="cannot provide"):
        node(tmp_path).options("x", hostpath, {}, [])


def test_a_pod_runs_locked_down_with_its_volumes_env_and_memory_limit(tmp_path: Path) -> None:
    """A real container of the rehearsal's image, run as a CronJob pod is."""
    try:
        engine = detect()
    except EngineError as exc:
        missing("a container engine", str(exc))
    image = f"{REHEARSAL.image}:{REHEARSAL.tag}"
    if not engine.has_image(image):
        missing(f"the image {image}", "make image")
    script = ("id -u; id -G; touch /app/x 2>&1; touch /tmp/x && echo tmp-writable; cat /etc/bizops/luigi.cfg; "
              "echo secret=$HEROKU_POSTGRESQL_URL; cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
              "/sys/fs/cgroup/memory.max 2>/dev/null; python -c 'import time; b = b\"x\" * (200 * 2**20); "
              "time.sleep(2)'")  # fmt: skip
    pod = worker_pod_spec(image=image, command=["sh", "-c", script], env=[
        {"name": "HEROKU_POSTGRESQL_URL", "valueFrom": {"secretKeyRef": {"name": secrets.K8S_SECRET,
                                                                          "key": "heroku-postgresql-url"}}}],
        cpu="500m", memory="512Mi", service_account="bizops-task", api_token=False)  # fmt: skip
    outcome = node(tmp_path, engine).run("pod-test", pod, 120, {}, [])
    log = outcome.log.read_text()
    assert outcome.exit_code == 0, log
    lines = log.splitlines()
    assert lines[0] == str(UID) and str(UID) in lines[1].split()
    assert "Read-only file system" in log and "tmp-writable" in log and "[core]" in log
    assert "secret=value-of-heroku-postgresql-url" in log
    assert str(512 * 2**20) in lines
    assert outcome.limit_bytes == 512 * 2**20 and outcome.peak_bytes and outcome.peak_bytes > 200 * 2**20
    assert not (tmp_path / "env" / "pod-test.env").exists(), "the env file goes with the pod"
