"""dbt's manifest, read once per process: nodes, their parents, and the raw tables they read.

The manifest is baked into the image's project folder at build time (the Dockerfile calls ``load``); where the
project changed since the newest manifest (locally), `dbt parse` refreshes it in the artifacts folder.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tasks.transform.command import artifacts_dir, dbt_command, dbt_env, project_dir

BUILDABLE = ("model", "seed", "snapshot")


@dataclass(frozen=True)
class Node:
    unique_id: str
    name: str
    resource_type: str
    relation: str  # database.schema.alias, lower case
    tags: frozenset[str]
    parents: tuple[str, ...]  # unique ids of nodes and sources it reads

    @property
    def nightly(self) -> bool:
        """In the nightly selection: the models tagged nightly (the heavy log models) and the seeds."""
        return "nightly" in self.tags or self.resource_type == "seed"


@dataclass(frozen=True)
class Manifest:
    nodes: dict[str, Node]
    sources: dict[str, str]  # source unique id -> relation (database.schema.identifier)

    def select(self, selection: str) -> list[Node]:
        """frequent: models not tagged nightly; nightly: models tagged nightly and the seeds; all."""
        chosen = []
        for node in self.nodes.values():
            if selection == "all" or (selection == "nightly") == node.nightly:
                chosen.append(node)
        return sorted(chosen, key=lambda n: n.unique_id)

    def source_relations(self, unique_id: str) -> set[str]:
        """Raw tables read by a node, directly or through its ancestors."""
        found: set[str] = set()
        stack, seen = [unique_id], set()
        while stack:
            uid = stack.pop()
            if uid in seen:
                continue
            seen.add(uid)
            if uid in self.sources:
                found.add(self.sources[uid])
            elif uid in self.nodes:
                stack.extend(self.nodes[uid].parents)
        return found


def _relation(database: str, schema: str, name: str) -> str:
    return f"{database}.{schema}.{name}".lower()


def _stale(path: Path) -> bool:
    if not path.exists():
        return True
    built = path.stat().st_mtime
    project = project_dir()
    watched = [project / "dbt_project.yml", *project.glob("models/**/*"), *project.glob("macros/**/*"),
               *project.glob("seeds/**/*"), *project.glob("snapshots/**/*")]  # fmt: skip
    return any(p.is_file() and p.stat().st_mtime > built for p in watched)


def _read(path: Path) -> dict | None:
    """The manifest at ``path``, or None where it is missing, older than the project, or cut short (dbt writes it
    in place on every command, so a run killed meanwhile leaves half a file)."""
    if _stale(path):
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None


@lru_cache(maxsize=1)
def load() -> Manifest:
    # dbt's latest parse, else the one the image build left in the project's own target/ (the image's project is
    # read-only, so its pods' dbt writes elsewhere: command.artifacts_dir)
    candidates = [artifacts_dir() / "manifest.json", project_dir().resolve() / "target" / "manifest.json"]
    raw = next((r for r in map(_read, candidates) if r is not None), None)
    if raw is None:
        subprocess.run(dbt_command("parse", "--quiet"), env=dbt_env(), check=True)
        raw = json.loads(candidates[0].read_text())
    nodes = {
        uid: Node(
            uid, n["name"], n["resource_type"], _relation(n["database"], n["schema"], n.get("alias") or n["name"]),
            frozenset(n.get("tags", ())), tuple(n.get("depends_on", {}).get("nodes", ())),
        )
        for uid, n in raw["nodes"].items()
        if n["resource_type"] in BUILDABLE
    }  # fmt: skip
    sources = {uid: _relation(s["database"], s["schema"], s["identifier"]) for uid, s in raw["sources"].items()}
    return Manifest(nodes, sources)
