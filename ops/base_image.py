"""A stand-in for the official Python image, for machines that reach no container registry: Debian's own Python
from Debian packages (debootstrap, from this machine's apt mirror), imported as a local image. A venv at
/usr/local gives it the official image's layout (python, pip and what pip installs in /usr/local/bin, no
"externally managed" refusal), so the Dockerfile builds on it unchanged. Made once: later builds find it.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from ops.engine import Engine, EngineError

STAND_IN = "localhost/bizops-python-base:bookworm"
SUITE = "bookworm"  # the Debian release of the official image (python:3.11.7-slim-bookworm)
PACKAGES = ("python3", "python3-venv", "ca-certificates", "libstdc++6")
APT = Path("/etc/apt")


def debian_mirror(apt: Path = APT) -> str:
    """The machine's own mirror for SUITE, from its apt sources (deb822 .sources files, then one-line .list
    files): the stand-in is made from where this machine installs its packages."""
    for path in sorted((apt / "sources.list.d").glob("*.sources")):
        for stanza in _deb822(path.read_text()):
            if "deb" in stanza.get("types", []) and SUITE in stanza.get("suites", []) and stanza.get("uris"):
                return stanza["uris"][0]
    for path in [apt / "sources.list", *sorted((apt / "sources.list.d").glob("*.list"))]:
        for line in path.read_text().splitlines() if path.exists() else ():
            words = [w for w in line.split("#", 1)[0].split() if not w.startswith("[")]
            if len(words) >= 3 and words[0] == "deb" and words[2] == SUITE:
                return words[1]
    raise EngineError(f"no apt source for Debian {SUITE} in {apt}: the stand-in base is made from one")


def _deb822(text: str) -> list[dict[str, list[str]]]:
    """Stanzas of a deb822 file: field name (lower case) -> its words; continuation lines extend a field."""
    stanzas: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] = {}
    field = ""
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if current:
                stanzas.append(current)
            current, field = {}, ""
        elif line.startswith("#"):
            continue
        elif line[0].isspace() and field:
            current[field] += line.split()
        elif ":" in line:
            field, _, value = line.partition(":")
            field = field.strip().lower()
            current[field] = value.split()
    return stanzas


def ensure(engine: Engine) -> str:
    """The stand-in's name, made first if the engine does not have it."""
    if engine.has_image(STAND_IN):
        print(f"stand-in base {STAND_IN}: made before")
        return STAND_IN
    mirror = debian_mirror()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bizops-base-") as root:
        print(f"making the stand-in base {STAND_IN}: debootstrap {SUITE} from {mirror}", flush=True)
        subprocess.run(["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, root, mirror],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        subprocess.run(["chroot", root, "python3", "-m", "venv", "/usr/local"], check=True)
        subprocess.run(["sh", "-c", 'rm -rf "$0"/var/cache/apt/archives/*.deb "$0"/var/lib/apt/lists/*', root],
                       check=True)  # fmt: skip
        with subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE) as tar:
            engine("import", "--change", "ENV LANG=C.UTF-8", "--change",
                   "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
                   "--change", 'CMD ["python3"]', "-", STAND_IN, stdin=tar.stdout)  # fmt: skip
        if tar.returncode:
            raise EngineError(f"tar of the stand-in's root exited {tar.returncode}")
    print(f"stand-in base {STAND_IN} made in {time.monotonic() - started:.0f} s")
    return STAND_IN
