"""`make image`: the base the Dockerfile names, and the Debian mirror a stand-in base is made from (read from the
machine's apt sources, never written in the repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.base_image import debian_mirror
from ops.engine import EngineError
from ops.image import official_base


def test_the_official_base_is_the_dockerfiles_default() -> None:
    assert official_base() == "python:3.11.7-slim-bookworm"


def test_the_mirror_is_the_bookworm_source_of_the_machine(tmp_path: Path) -> None:
    apt = tmp_path / "apt"
    (apt / "sources.list.d").mkdir(parents=True)
    (apt / "sources.list.d" / "cloud.list").write_text("deb https://cloud.invalid/apt cloud-sdk-bookworm main\n")
    (apt / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\n# a comment\nURIs: http://mirror-a.invalid/debian\nSuites: bookworm-security\n\n"
        "Types: deb deb-src\nURIs:\n http://mirror-b.invalid/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\n"
    )  # fmt: skip
    assert debian_mirror(apt) == "http://mirror-b.invalid/debian"
    (apt / "sources.list.d" / "debian.sources").unlink()
    (apt / "sources.list").write_text("# old style\ndeb [arch=amd64] http://mirror-c.invalid/debian bookworm main\n")
    assert debian_mirror(apt) == "http://mirror-c.invalid/debian"
    (apt / "sources.list").unlink()
    with pytest.raises(EngineError, match="no apt source for Debian bookworm"):
        debian_mirror(apt)
