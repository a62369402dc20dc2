"""A pod of the rendered manifests run as a container, as a kubelet would run it: the manifest's image, command
and args; its env (secretKeyRef values from the rehearsal's Secret, the pod's name for a fieldRef); its volumes
(emptyDir as tmpfs, ConfigMaps as read-only files, claims as folders of the rehearsal with fsGroup applied); its
security context and resource limits. A field the runner does not know is an error: the rehearsal never runs
something other than what the manifest says without saying so.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ops.engine import Engine

Manifest = dict[str, Any]

POD_FIELDS = {"serviceAccountName", "automountServiceAccountToken", "enableServiceLinks", "restartPolicy",
              "securityContext", "containers", "volumes", "terminationGracePeriodSeconds"}  # fmt: skip
CONTAINER_FIELDS = {"name", "image", "imagePullPolicy", "command", "args", "env", "resources", "securityContext",
                    "volumeMounts", "ports", "readinessProbe", "livenessProbe"}  # fmt: skip
_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
POLL_SECONDS = 0.5
CONTAINER_PREFIX = "bizops-rehearsal-"  # the containers' names: the pods' with this prefix, so none is another's


def container_name(pod_name: str) -> str:
    return CONTAINER_PREFIX + pod_name


class PodError(RuntimeError):
    pass


def quantity(text: str | int) -> float:
    """A Kubernetes quantity as a number: "500m" -> 0.5, "2Gi" -> 2147483648."""
    text = str(text)
    if text.endswith("m"):
        return float(text[:-1]) / 1000
    for suffix, factor in _UNITS.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def pod_spec(doc: Manifest) -> Manifest:
    spec = doc["spec"]
    return spec["jobTemplate"]["spec"]["template"]["spec"] if doc["kind"] == "CronJob" else spec["template"]["spec"]


@dataclass
class Outcome:
    """A container that ran to its end."""

    name: str
    exit_code: int
    seconds: float
    log: Path
    peak_bytes: int | None  # the cgroup's high-water mark, sampled while it ran
    limit_bytes: int | None


@dataclass
class Node:
    """What the cluster gives the pods here: the engine, the rehearsal's folder (claims, ConfigMaps, env files,
    logs), the ConfigMaps and Secrets of the rendered overlay, and the addresses its Services resolve to."""

    engine: Engine
    root: Path
    config_maps: dict[str, dict[str, str]]
    secrets: dict[str, dict[str, str]]
    hosts: dict[str, str]
    claims: dict[str, Path] = field(default_factory=dict)

    def claim(self, name: str) -> Path:
        """The folder standing in for a PersistentVolumeClaim (one per name, kept across pods)."""
        if name not in self.claims:
            self.claims[name] = self.root / "claims" / name
            self.claims[name].mkdir(parents=True, exist_ok=True)
        return self.claims[name]

    # --- the container's options, from the pod spec ----------------------------------------------------------

    def options(self, name: str, pod: Manifest, extra_env: dict[str, str], extra_mounts: list[str]) -> list[str]:
        """`run` options (image and command included) for the pod's one container; writes its env file."""
        if unknown := set(pod) - POD_FIELDS:
            raise PodError(f"{name}: pod fields the rehearsal cannot honour: {sorted(unknown)}")
        (container,) = pod["containers"]
        if unknown := set(container) - CONTAINER_FIELDS:
            raise PodError(f"{name}: container fields the rehearsal cannot honour: {sorted(unknown)}")
        options = ["--name", container_name(name), "--network", "host", "--pull", "never", *self.engine.limits]
        options += [f"--add-host={host}:{address}" for host, address in self.hosts.items()]
        options += self._security(name, pod["securityContext"], container["securityContext"])
        options += self._resources(container.get("resources", {}))
        options += self._volumes(name, pod, container)
        options += [f"--volume={mount}" for mount in extra_mounts]
        options += ["--env-file", str(self._env_file(name, container.get("env", []), extra_env))]
        command, args = container.get("command"), container.get("args", [])
        if command:  # command replaces the image's entrypoint, args its CMD, as in Kubernetes
            options += ["--entrypoint", command[0], container["image"], *command[1:], *args]
        else:
            options += [container["image"], *args]
        return options

    def _security(self, name: str, pod_sc: Manifest, sc: Manifest) -> list[str]:
        user, group = sc.get("runAsUser", pod_sc.get("runAsUser")), sc.get("runAsGroup", pod_sc.get("runAsGroup"))
        if (sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot")) and not user:
            raise PodError(f"{name}: runAsNonRoot without a non-root runAsUser")
        for context in (pod_sc, sc):
            if context.get("seccompProfile", {"type": "RuntimeDefault"}) != {"type": "RuntimeDefault"}:
                raise PodError(f"{name}: only the engine's default seccomp profile (RuntimeDefault) is rehearsed")
        options = ["--user", f"{user}:{group or user}"]
        if fs_group := pod_sc.get("fsGroup"):
            options += ["--group-add", str(fs_group)]
        if sc.get("readOnlyRootFilesystem"):
            # podman would add writable tmpfs on /tmp, /var/tmp and /run: a pod has only its volumes
            options += ["--read-only", *(["--read-only-tmpfs=false"] if self.engine.name == "podman" else [])]
        if sc.get("allowPrivilegeEscalation") is False:
            options += ["--security-opt", "no-new-privileges"]
        capabilities = sc.get("capabilities", {})
        options += [f"--cap-drop={c}" for c in capabilities.get("drop", [])]
        options += [f"--cap-add={c}" for c in capabilities.get("add", [])]
        return options

    @staticmethod
    def _resources(resources: Manifest) -> list[str]:
        limits = resources.get("limits", {})
        options = []
        if "memory" in limits:
            options += ["--memory", str(int(quantity(limits["memory"])))]
        if "cpu" in limits:
            options += ["--cpus", f"{quantity(limits['cpu']):g}"]
        return options

    def _volumes(self, name: str, pod: Manifest, container: Manifest) -> list[str]:
        pod_sc = pod["securityContext"]
        fs_group = pod_sc.get("fsGroup")
        uid = container["securityContext"].get("runAsUser", pod_sc.get("runAsUser", 0))
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        options = []
        for mount in container.get("volumeMounts", []):
            volume = volumes[mount["name"]]
            path, read_only = mount["mountPath"], mount.get("readOnly", False)
            if "emptyDir" in volume:
                size = volume["emptyDir"].get("sizeLimit")
                # Writable to the pod's user as a kubelet's emptyDir is (a tmpfs over a folder of the image keeps
                # that folder's mode), exec allowed (podman's tmpfs default is noexec).
                owner = self.engine.tmpfs_owner(uid, fs_group or uid)
                options.append(f"--tmpfs={path}:rw,exec,nosuid,nodev,{owner}"
                               + (f",size={int(quantity(size))}" if size else ""))  # fmt: skip
            elif "configMap" in volume:
                folder = self._config_map(volume["configMap"])
                options.append(f"--volume={folder}:{path}:ro")
            elif "persistentVolumeClaim" in volume:
                folder = self.claim(volume["persistentVolumeClaim"]["claimName"])
                if fs_group:
                    _apply_fs_group(folder, fs_group)
                options.append(f"--volume={folder}:{path}" + (":ro" if read_only else ""))
            else:
                raise PodError(f"{name}: volume {mount['name']} is of a kind the rehearsal cannot provide")
        return options

    def _config_map(self, ref: Manifest) -> Path:
        if set(ref) != {"name"}:
            raise PodError(f"ConfigMap volume options the rehearsal cannot honour: {ref}")
        folder = self.root / "configmaps" / ref["name"]
        folder.mkdir(parents=True, exist_ok=True)
        for key, value in self.config_maps[ref["name"]].items():
            (folder / key).write_text(value)
        return folder

    def _env_file(self, name: str, env: list[Manifest], extra: dict[str, str]) -> Path:
        """The container's environment in a file only root reads (not on a command line, where `ps` shows it)."""
        values = {}
        for entry in env:
            source = entry.get("valueFrom", {})
            if "value" in entry:
                values[entry["name"]] = entry["value"]
            elif "secretKeyRef" in source:
                ref = source["secretKeyRef"]
                value = self.secrets.get(ref["name"], {}).get(ref["key"])
                if value is None and not ref.get("optional"):
                    # what a kubelet reports as CreateContainerConfigError
                    raise PodError(f"{name}: Secret {ref['name']} has no key {ref['key']} (for {entry['name']})")
                if value is not None:
                    values[entry["name"]] = value
            elif source.get("fieldRef", {}).get("fieldPath") == "metadata.name":
                values[entry["name"]] = name
            else:
                raise PodError(f"{name}: env {entry['name']} comes from a source the rehearsal cannot provide")
        values.update(extra)
        path = self.root / "env" / f"{name}.env"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        return path

    # --- running -------------------------------------------------------------------------------------------------

    def run(self, name: str, pod: Manifest, deadline_seconds: float, extra_env: dict[str, str],
            extra_mounts: list[str]) -> Outcome:  # fmt: skip
        """Run the pod to its end (restartPolicy Never: once), killed at its deadline."""
        self.engine("rm", "--force", container_name(name), check=False)  # a leftover of an interrupted rehearsal
        options = self.options(name, pod, extra_env, extra_mounts)
        log = self.root / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        limit = pod["containers"][0].get("resources", {}).get("limits", {}).get("memory")
        started = time.monotonic()
        try:
            with log.open("w") as out:
                proc = subprocess.Popen([*self.engine.command, "run", "--rm", *options], stdout=out,
                                        stderr=subprocess.STDOUT)  # fmt: skip
                peak = self._watch(name, proc, started + deadline_seconds)
        finally:
            (self.root / "env" / f"{name}.env").unlink(missing_ok=True)
        return Outcome(name, proc.returncode, time.monotonic() - started, log, peak,
                       int(quantity(limit)) if limit else None)  # fmt: skip

    def _watch(self, name: str, proc: subprocess.Popen, deadline: float) -> int | None:
        """Wait for the container's end, sampling its cgroup's memory high-water mark; kill it at the deadline."""
        peak, source = None, None
        while proc.poll() is None:
            if time.monotonic() > deadline:
                self.engine("kill", container_name(name), check=False)
            if source is None:
                source = _memory_peak_source(self.engine, container_name(name))
            with contextlib.suppress(OSError, ValueError):
                peak = max(peak or 0, int(source.read_text())) if source else peak
            time.sleep(POLL_SECONDS)
        return peak

    @contextlib.contextmanager
    def serving(self, name: str, pod: Manifest, ready_timeout: float = 60) -> Iterator[None]:
        """A long-running pod (a Deployment's), started and ready, then stopped with its grace period."""
        self.engine("rm", "--force", container_name(name), check=False)  # a leftover of an interrupted rehearsal
        self.engine("run", "--detach", *self.options(name, pod, {}, []))
        (self.root / "env" / f"{name}.env").unlink(missing_ok=True)
        try:
            _wait_ready(self.engine, container_name(name), pod["containers"][0], ready_timeout)
            yield
        finally:
            grace = str(pod.get("terminationGracePeriodSeconds", 30))
            self.engine("stop", "--time", grace, container_name(name), check=False)
            logs = self.engine("logs", container_name(name), check=False)
            (self.root / "logs").mkdir(parents=True, exist_ok=True)
            (self.root / "logs" / f"{name}.log").write_text(logs.stdout + logs.stderr)
            self.engine("rm", "--force", container_name(name), check=False)


def _apply_fs_group(folder: Path, gid: int) -> None:
    """What a kubelet does to a volume for the pod's fsGroup: group-owned, group-writable, setgid folders."""
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, -1, gid)
        path.chmod(path.stat().st_mode | (0o2070 if path.is_dir() else 0o060))


def _memory_peak_source(engine: Engine, name: str) -> Path | None:
    """The memory high-water mark file of the container's cgroup (v1 or v2), once it runs."""
    found = engine("inspect", "--format", "{{.State.Pid}}", name, check=False)
    pid = found.stdout.strip() if found.returncode == 0 else ""
    if not pid.isdigit() or pid == "0":
        return None
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return Path("/sys/fs/cgroup/memory", path.lstrip("/"), "memory.max_usage_in_bytes")
    unified = next((line.split(":", 2)[2] for line in lines if line.startswith("0::")), None)
    return Path("/sys/fs/cgroup", unified.lstrip("/"), "memory.peak") if unified else None


def _wait_ready(engine: Engine, name: str, container: Manifest, timeout: float) -> None:
    """Until the readiness probe's HTTP GET answers 200 (the container shares this machine's network)."""
    probe = container["readinessProbe"]["httpGet"]
    url = f"http://127.0.0.1:{probe['port']}{probe['path']}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        running = engine("inspect", "--format", "{{.State.Running}}", name, check=False).stdout.strip()
        if running != "true" or time.monotonic() > deadline:
            logs = engine("logs", name, check=False)
            raise PodError(f"{name}: readiness probe GET {url} never answered 200:\n{logs.stdout}{logs.stderr}")
        time.sleep(POLL_SECONDS)
