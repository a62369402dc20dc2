"""The local settings of a developer's machine: ``data/local.env``, which ``make demo`` writes.

Every entry point reads it by itself (``python -m tasks``, ``python -m ops``, ``make luigid``), so a README command
works in any shell after the demo. It holds settings, never secrets:

- environment variables the pipeline reads that are not credentials (the landing locations, which
  config/secrets.py marks ``credential=False``). A registered credential, or a name that says secret, is refused:
  secrets come only from the environment;
- ``LUIGI_CONFIG_PATH``: a luigi.cfg of local values, read after luigi.cfg (as a pod's ConfigMap is);
- ``BIZOPS_LOCAL_POSTGRES``: the folder of a local PostgreSQL (pgserver) standing in for the Heroku Connect
  database. It is started when it is not running (after a reboot, in a new container), and its address becomes
  HEROKU_POSTGRESQL_URL - a socket path without a password, so the file holds no DSN.

A variable set in the environment wins over the file. ``BIZOPS_LOCAL_SETTINGS`` names another file, or none when
it is empty (the tests: a developer's demo must not leak into them).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import luigi.configuration

from config.secrets import REGISTRY, MissingSecretError, looks_secret

DEFAULT = Path("data/local.env")  # relative to the working directory, as luigi.cfg is
POSTGRES = "BIZOPS_LOCAL_POSTGRES"
DSN = "HEROKU_POSTGRESQL_URL"
_CREDENTIALS = {s.env for s in REGISTRY if s.credential}
_SETTINGS = {s.env for s in REGISTRY if not s.credential}


class LocalSettingsError(RuntimeError):
    """The local settings file cannot be used as it is (a secret in it, a local PostgreSQL that does not start)."""


def path() -> Path | None:
    chosen = os.environ.get("BIZOPS_LOCAL_SETTINGS")
    if chosen is None:
        return DEFAULT
    return Path(chosen) if chosen else None


def read(file: Path) -> dict[str, str]:
    """The file's variables; a secret in it is an error naming it."""
    from dotenv import dotenv_values  # a development dependency, as pgserver: the image has no local settings

    values = {name: value or "" for name, value in dotenv_values(file).items()}
    for name in values:
        if name in _CREDENTIALS or (name not in _SETTINGS and looks_secret(name)):
            raise LocalSettingsError(
                f"{file} sets {name}, a secret: secrets come only from the environment (export {name}=...)"
            )
    return values


def apply() -> dict[str, str]:
    """Set the file's variables that the environment does not set, read its luigi settings, start the local
    PostgreSQL it names; return what was taken from the file. No file: nothing changes."""
    file = path()
    if file is None or not file.is_file():
        return {}
    taken = {name: value for name, value in read(file).items() if name not in os.environ}
    os.environ.update(taken)
    if "LUIGI_CONFIG_PATH" in taken:  # luigi reads the variable once, when it is imported
        luigi.configuration.add_config_path(taken["LUIGI_CONFIG_PATH"])
    folder = os.environ.get(POSTGRES)
    if folder and DSN not in os.environ:
        os.environ[DSN] = start_postgres(Path(folder))
    return taken


def start_postgres(folder: Path) -> str:
    """The local PostgreSQL under ``folder`` (created on first use), started unless it runs; its DSN. It is left
    running for the next command, as ``make demo`` leaves it."""
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime folder at import; without XDG_RUNTIME_DIR (a container, a
        # login without systemd) platformdirs warns and uses /tmp/runtime-<uid>, which serves pgserver's lock.
        warnings.filterwarnings("ignore", "XDG_RUNTIME_DIR is not set")
        import pgserver  # a development dependency: only local runs name a local PostgreSQL

    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        return pgserver.get_server(folder, cleanup_mode=None).get_uri()
    except Exception as exc:  # pgserver raises what pg_ctl and initdb give it
        raise LocalSettingsError(f"the local PostgreSQL in {folder} ({POSTGRES}) does not start: {exc}") from exc


def write(variables: dict[str, str], luigi_settings: dict[str, dict[str, str]], header: str) -> Path:
    """Write the local settings file (``variables``, plus LUIGI_CONFIG_PATH naming a luigi.cfg of
    ``luigi_settings``); return its path. ``header``: a comment saying who wrote it and why each value."""
    file = path() or DEFAULT
    file.parent.mkdir(parents=True, exist_ok=True)
    cfg = file.with_suffix(".cfg")
    sections = [f"[{section}]\n" + "".join(f"{k} = {v}\n" for k, v in options.items())
                for section, options in luigi_settings.items()]  # fmt: skip
    cfg.write_text(_comment(header) + "\n".join(sections))
    lines = [f"{name}={value}\n" for name, value in {**variables, "LUIGI_CONFIG_PATH": str(cfg)}.items()]
    file.write_text(_comment(header) + "".join(lines))
    return file


def _comment(text: str) -> str:
    return "".join(f"# {line}".rstrip() + "\n" for line in text.strip().splitlines())


def explain(error: MissingSecretError) -> str:
    """The error, and how to set what it names on this machine: a setting in the local settings file, a secret
    exported in the shell."""
    wanted = [alternatives.split(" or ") for alternatives in error.names]
    settings = [names[0] for names in wanted if names[0] in _SETTINGS]
    secrets = [" or ".join(names) for names in wanted if names[0] not in _SETTINGS]
    how = []
    if settings:
        how.append(f"put {', '.join(f'{n}=...' for n in settings)} in {path() or DEFAULT} (make demo writes one)")
    if secrets:
        how.append(f"export {' and '.join(f'{n}=...' for n in secrets)} (secrets come only from the environment)")
    return f"{error}. Locally: {'; '.join(how)}"
