"""The container engine of this machine: docker where a docker daemon answers, else podman, with the options
podman needs on these machines. `make image` builds with it and the rehearsal runs its containers with it."""

from __future__ import annotations

import resource
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any


class EngineError(RuntimeError):
    pass


@dataclass(frozen=True)
class Engine:
    name: str  # docker | podman
    command: tuple[str, ...]  # the binary and its global options
    limits: tuple[str, ...] = ()  # options every `build` and `run` needs

    def __call__(self, *args: str, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess:
        """Run one engine command; output captured as text unless the caller says otherwise."""
        kwargs.setdefault("capture_output", True)
        result = subprocess.run([*self.command, *args], text=True, **kwargs)
        if check and result.returncode:
            raise EngineError(f"`{self.name} {' '.join(args[:3])} ...` exited {result.returncode}:\n{result.stderr}")
        return result

    def has_image(self, image: str) -> bool:
        return self("image", "inspect", image, check=False).returncode == 0

    def tmpfs_owner(self, uid: int, gid: int) -> str:
        """The tmpfs mount option that makes it the container user's (podman: U, which refuses uid=/gid=)."""
        return "U" if self.name == "podman" else f"uid={uid},gid={gid}"


# crun (podman's default runtime) fails on these machines' hybrid cgroups; runc works, with cgroupfs as there is no
# systemd to manage them, and cgroups kept on (runc refuses to run without them).
PODMAN = ("podman", "--runtime", "runc", "--cgroup-manager=cgroupfs")


NPROC = 4096  # processes and threads of a container's user: ample for Luigi, dbt and DuckDB


def _rlimits() -> tuple[str, ...]:
    """podman's default rlimits are higher than these machines let it set, and no container starts at all: ask
    for this process's own open-file limit and a modest process count instead."""
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if nofile == resource.RLIM_INFINITY:
        nofile = 65536
    return ("--ulimit", f"nofile={nofile}:{nofile}", "--ulimit", f"nproc={NPROC}:{NPROC}")


def detect() -> Engine:
    """docker where its daemon answers (a docker client alone is not an engine), else podman."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "info"], capture_output=True, timeout=60).returncode == 0:
        return Engine("docker", (docker,))
    if shutil.which("podman"):
        return Engine("podman", PODMAN, _rlimits())
    raise EngineError(
        "no container engine: neither a docker daemon nor podman (Debian: apt-get install -y podman runc)"
    )
