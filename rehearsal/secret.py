"""The rehearsal's Secret: a value for every key of the registry the pods may need, written as a Kubernetes Secret
under the rehearsal's folder (mode 0600, never committed) and read back as a cluster would. The stand-ins'
addresses, the sample data's locations, and a plain "unused" for what only Snowflake reads."""

from __future__ import annotations

from pathlib import Path

import yaml

import devdata
from config import secrets

UNUSED = "unused-the-rehearsal-warehouse-is-duckdb"


def values(postgres_dsn: str, webhook_url: str) -> dict[str, str]:
    """Secret key -> value."""
    by_env = {"HEROKU_POSTGRESQL_URL": postgres_dsn, "MATTERMOST_WEBHOOK_URL": webhook_url, **devdata.LOCATIONS}
    data = {}
    for secret in secrets.REGISTRY:
        if secret.env in by_env:
            data[secret.key] = by_env[secret.env]
        elif secret.backends == ("snowflake",):
            if not secret.optional:
                data[secret.key] = UNUSED
        elif not secret.optional:
            raise RuntimeError(f"the rehearsal has no value for {secret.env} (Secret key {secret.key})")
    return data


def write(path: Path, data: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    manifest = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": secrets.K8S_SECRET}, "type": "Opaque",
                "stringData": data}  # fmt: skip
    path.write_text(yaml.safe_dump(manifest, sort_keys=False))


def read(path: Path) -> dict[str, dict[str, str]]:
    """Secret name -> its data, as the pods' secretKeyRefs look them up."""
    manifest = yaml.safe_load(path.read_text())
    return {manifest["metadata"]["name"]: {k: str(v) for k, v in manifest["stringData"].items()}}
