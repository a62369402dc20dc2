"""The pipeline's pod spec, shared by the CronJob manifests and the per-task Job pods: one security context,
one set of volumes, one way of passing secrets and settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from config import secrets
from config.environments import SCRATCH

Manifest = dict[str, Any]
UID = 10001  # the image's user (Dockerfile); >= 10000 so it cannot collide with a node's system users
CONTAINER = "task"

PART_OF = {"app.kubernetes.io/part-of": "bizops"}
JOB_LABELS = {**PART_OF, "bizops/role": "job"}  # the only pods the NetworkPolicy lets reach luigid

POD_NAME_ENV = "BIZOPS_RUN_ID"  # the run id markers record is the pod's name
CONFIG_MAP = "bizops-config"
CONFIG_DIR = "/etc/bizops"
CONFIG_FILE = "luigi.cfg"
TASK_SERVICE_ACCOUNT = "bizops-task"  # per-task Job pods: no API access
TMP_SIZE = "2Gi"


# --- pod building blocks (shared with services.jobs) ------------------------------------------------------


def pod_security_context() -> Manifest:
    return {
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "fsGroup": UID,  # the luigid state PVC becomes writable for the uid
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context() -> Manifest:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def resources(cpu: str, memory: str) -> Manifest:
    # Requests equal limits: batch pods get the Guaranteed QoS class and are the last to be evicted.
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu, "memory": memory}}


def secret_env(needed: Iterable[secrets.Secret]) -> list[Manifest]:
    """Each secret as an env var read from the one Secret; an optional one may be absent from it."""
    env = []
    for s in sorted(needed, key=lambda s: s.env):
        ref: Manifest = {"name": secrets.K8S_SECRET, "key": s.key}
        if s.optional:
            ref["optional"] = True
        env.append({"name": s.env, "valueFrom": {"secretKeyRef": ref}})
    return env


def run_env() -> list[Manifest]:
    """Plain env every pipeline pod gets: its run id (the pod name) and the environment's luigi.cfg."""
    return [
        {"name": POD_NAME_ENV, "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        # Luigi reads this file after the image's /app/luigi.cfg, so its values win.
        {"name": "LUIGI_CONFIG_PATH", "value": f"{CONFIG_DIR}/{CONFIG_FILE}"},
    ]


def worker_pod_spec(
    *, image: str, command: Sequence[str], env: list[Manifest], cpu: str, memory: str, service_account: str,
    api_token: bool,
) -> Manifest:  # fmt: skip
    """A pod running one Luigi command from the image, restartPolicy Never (a retry is a new run)."""
    return {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": api_token,
        "enableServiceLinks": False,  # no <SERVICE>_PORT variables: a pod's environment is exactly `env`
        "restartPolicy": "Never",
        "securityContext": pod_security_context(),
        "containers": [
            {
                "name": CONTAINER,
                "image": image,
                "imagePullPolicy": "Always",  # a re-pushed tag must not leave nodes running old code
                "command": list(command),
                "env": env,
                "resources": resources(cpu, memory),
                "securityContext": container_security_context(),
                "volumeMounts": [
                    {"name": "tmp", "mountPath": SCRATCH},
                    {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
                ],
            }
        ],
        "volumes": [
            # dbt's target and logs, reports ([dbt], [report] in config.environments), Luigi's pid lock, downloads,
            # HOME.
            {"name": "tmp", "emptyDir": {"sizeLimit": TMP_SIZE}},
            {"name": "config", "configMap": {"name": CONFIG_MAP}},
        ],
    }
