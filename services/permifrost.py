"""Snowflake permissions governed by config/roles.yml (a permifrost spec); permifrost does the granting.

- ``validate(path)``: permifrost's own offline spec checks plus ours (undefined or circular role grants,
  user defaults, warehouse and database references, login names). No Snowflake needed.
- ``plan(path)``: the statements ``permifrost run --dry`` prints. Offline (default) it runs against a stub
  connector describing an account that has exactly the spec's objects and no grants, i.e. the full plan;
  ``online=True`` asks the real account, i.e. only what would change.
- ``apply(path)``: the daily task's work. Creates the spec's users missing from the account (without a
  password: none exists to leak), then runs ``permifrost run``.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

# permifrost's logger module runs coloredlogs.install() on import, which swaps the nearest StreamHandler up its
# logger's hierarchy - the root's console, once a command has set it up - for a DEBUG handler of its own: every
# library's debug lines (urllib3's included, with the webhook's path) would reach the console. Keep the root's.
_root = logging.getLogger()
_console = (list(_root.handlers), _root.level)
import permifrost.logger  # noqa: E402
from permifrost import SpecLoadingError  # noqa: E402
from permifrost.cli import cli as permifrost_cli  # noqa: E402
from permifrost.entities import EntityGenerator  # noqa: E402
from permifrost.snowflake_connector import SnowflakeConnector  # noqa: E402
from permifrost.spec_file_loader import load_spec  # noqa: E402

_root.handlers[:] = _console[0]
_root.setLevel(_console[1])

from config import secrets as registry  # noqa: E402

logger = logging.getLogger("bizops.permissions")
# coloredlogs installs permifrost's logger at DEBUG on import; its CLI lowers it to WARNING per command,
# validate() does not go through the CLI.
permifrost.logger.GLOBAL_LOGGER.setLevel(logging.WARNING)

DEFAULT_SPEC = Path(__file__).resolve().parents[1] / "config" / "roles.yml"
FAMILY = "ApplyPermissions"  # the task family in config.secrets that owns PERMISSION_BOT_*
# Modules that build their own SnowflakeConnector(); every permifrost run swaps ours in, in all three.
_CONNECTOR_USERS = ("permifrost.snowflake_spec_loader", "permifrost.snowflake_grants", "permifrost.cli.permissions")

# Names that reach SQL we write ourselves: plain identifiers (case-insensitive, stored upper-case) or a
# double-quoted login such as "first.last@example.com" (YAML: '"first.last@example.com"').
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,254}")
_QUOTED = re.compile(r'"[A-Za-z0-9_$.@+\-]{1,253}"')
# A statement as permifrost's print_command prints it: optional diff prefix, status, SQL, ';'.
_PRINTED = re.compile(r"^(?:[+ ] )?\[(PENDING|SUCCESS|ERROR|SKIPPED)\] (.*);$")


class InvalidSpecError(ValueError):
    def __init__(self, path: str | Path, problems: list[str]):
        self.problems = problems
        super().__init__(f"{path}: {len(problems)} problem(s)\n" + "\n".join(f"  - {p}" for p in problems))


class PermifrostError(RuntimeError):
    """permifrost refused the spec (e.g. an object missing on the account) or statements failed."""


class ProvisioningError(RuntimeError):
    """Creating a user failed."""


# -- validation --------------------------------------------------------------------------------------------
def validate(path: str | Path = DEFAULT_SPEC) -> list[str]:
    """Every problem found in the spec, offline; an empty list means valid."""
    path = Path(path)
    try:
        with path.open() as stream:  # a file stream: permifrost's !include resolves paths from its name
            spec = yaml.safe_load(stream)
    except OSError as exc:
        return [f"cannot read {path}: {exc.strerror}"]
    except yaml.YAMLError as exc:
        return [f"not valid YAML: {exc}"]
    if not isinstance(spec, dict):
        return ["the spec must be a mapping with databases, warehouses, roles and users"]
    problems = _permifrost_problems(path)
    return problems + [p for p in check_spec(spec) if p not in problems]


def _permifrost_problems(path: Path) -> list[str]:
    try:
        EntityGenerator(load_spec(str(path))).inspect_entities()
    except SpecLoadingError as exc:
        return [line.strip() for line in str(exc).splitlines() if line.strip()]
    return []


def check_spec(spec: dict[str, Any]) -> list[str]:
    """Our checks on a parsed spec, beyond what permifrost checks offline. Tolerates malformed entries
    (permifrost's schema check reports those)."""
    databases = {name for name, _ in _entries(spec, "databases")}
    warehouses = {name for name, _ in _entries(spec, "warehouses")}
    roles = dict(_entries(spec, "roles"))
    users = _entries(spec, "users")
    problems = [
        f"{kind} {name}: not a valid name: use letters, digits and _ or, for an e-mail-shaped login, nested "
        f"quoting in YAML ('\"first.last@example.com\"')"
        for kind, names in (("warehouse", warehouses), ("role", roles), ("user", [u for u, _ in users]))
        for name in sorted(names)
        if not (_PLAIN.fullmatch(name) or _QUOTED.fullmatch(name))
    ]
    for role, config in roles.items():
        problems += [f"role {role}: member_of names undefined role {r}" for r in _named_roles(config) if r not in roles]
        problems += [
            f"role {role}: warehouse {w} is not defined under warehouses"
            for w in _strings(config.get("warehouses"))
            if w not in warehouses
        ]
        problems += [
            f"role {role}: privileges refer to database {db}, which is not defined under databases"
            for db in dict.fromkeys(obj.split(".")[0] for obj in _object_refs(config))
            if db not in databases
        ]
    problems += _cycles({role: [r for r in _granted_roles(config) if r in roles] for role, config in roles.items()})
    for user, config in users:
        problems += [f"user {user}: member_of names undefined role {r}" for r in _named_roles(config) if r not in roles]
        member_of = _granted_roles(config)
        default_role, default_warehouse = config.get("default_role"), config.get("default_warehouse")
        if not default_role:
            problems.append(f"user {user}: no default_role (set one of its member_of roles)")
        elif default_role not in member_of:
            problems.append(
                f"user {user}: default_role {default_role} is not among its member_of ({', '.join(member_of)})"
            )
        usable = {w for role in _inherited(member_of, roles) for w in _strings(roles[role].get("warehouses"))}
        if not default_warehouse:
            problems.append(f"user {user}: no default_warehouse (set one its roles are granted)")
        elif default_warehouse not in usable:
            problems.append(
                f"user {user}: default_warehouse {default_warehouse} is not granted to any of its roles "
                f"({', '.join(member_of)})"
            )
    return problems


def users_with_default_role(role: str, path: str | Path = DEFAULT_SPEC) -> list[str]:
    """The spec's users whose default role is ``role`` (case-insensitive, as Snowflake's names): a role's
    service logins."""
    with Path(path).open() as stream:
        spec = yaml.safe_load(stream)
    return [user for user, config in _entries(spec, "users") if str(config.get("default_role", "")).lower() ==
            role.lower()]  # fmt: skip


def _entries(spec: dict[str, Any], kind: str) -> list[tuple[str, dict[str, Any]]]:
    """(name, config) pairs of a top-level list of one-key maps, skipping malformed ones."""
    entries = spec.get(kind)
    if not isinstance(entries, list):
        return []
    return [
        (str(name), config)
        for entry in entries
        if isinstance(entry, dict)
        for name, config in entry.items()
        if isinstance(config, dict)
    ]


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _named_roles(config: dict[str, Any]) -> list[str]:
    """Every role member_of mentions (list form or {include, exclude}); '*' is permifrost's 'all roles'."""
    member_of = config.get("member_of")
    if isinstance(member_of, dict):
        names = _strings(member_of.get("include")) + _strings(member_of.get("exclude"))
    else:
        names = _strings(member_of)
    return [n for n in names if n != "*"]


def _granted_roles(config: dict[str, Any]) -> list[str]:
    """The roles member_of actually grants (include minus exclude), '*' left out."""
    member_of = config.get("member_of")
    if isinstance(member_of, dict):
        excluded = set(_strings(member_of.get("exclude")))
        return [r for r in _strings(member_of.get("include")) if r != "*" and r not in excluded]
    return [r for r in _strings(member_of) if r != "*"]


def _object_refs(config: dict[str, Any]) -> list[str]:
    """Database/schema/table names a role's privileges and owns lists refer to."""
    refs: list[str] = []
    privileges = config.get("privileges")
    for by_access in privileges.values() if isinstance(privileges, dict) else []:
        for names in by_access.values() if isinstance(by_access, dict) else []:
            refs += _strings(names)
    owns = config.get("owns")
    for names in owns.values() if isinstance(owns, dict) else []:
        refs += _strings(names)
    return [r for r in refs if not r.startswith("*")]


def _inherited(granted: Iterable[str], roles: dict[str, dict[str, Any]]) -> set[str]:
    """Defined roles reachable from ``granted`` through member_of (a role has its member_of roles' privileges)."""
    seen: set[str] = set()
    todo = [r for r in granted if r in roles]
    while todo:
        role = todo.pop()
        if role not in seen:
            seen.add(role)
            todo += [r for r in _granted_roles(roles[role]) if r in roles]
    return seen


def _cycles(graph: dict[str, list[str]]) -> list[str]:
    """One problem per circular chain of role grants, as the path that closes it (depth-first search)."""
    problems: list[str] = []
    seen_cycles: set[tuple[str, ...]] = set()
    state: dict[str, str] = {}  # "open" while on the current path, then "done"
    path: list[str] = []

    def visit(role: str) -> None:
        state[role] = "open"
        path.append(role)
        for granted in graph[role]:
            if state.get(granted) == "open":
                cycle = path[path.index(granted) :]
                start = cycle.index(min(cycle))  # one rotation per cycle, so each is reported once
                key = tuple(cycle[start:] + cycle[:start])
                if key not in seen_cycles:
                    seen_cycles.add(key)
                    problems.append("circular role grants (member_of): " + " -> ".join(key + key[:1]))
            elif granted not in state:
                visit(granted)
        path.pop()
        state[role] = "done"

    for role in graph:
        if role not in state:
            visit(role)
    return problems


# -- plan and run through permifrost ------------------------------------------------------------------------
def plan(path: str | Path = DEFAULT_SPEC, *, online: bool = False) -> list[str]:
    """The GRANT/REVOKE/ALTER statements ``permifrost run --dry`` prints, in its order, without ';'.

    Offline: against an account holding exactly the spec's objects and no grants (the full plan).
    Online: against the account PERMISSION_BOT_* point at (only what would change).
    """
    path = Path(path)
    problems = validate(path)
    if problems:
        raise InvalidSpecError(path, problems)
    if online:
        registry.require(FAMILY, "snowflake")
        connector: type[SnowflakeConnector] = _AccountConnector
    else:
        connector = _stub_connector(load_spec(str(path)))
    return [sql for _, sql in _run_permifrost(path, dry=True, connector=connector)]


def _run_permifrost(path: Path, *, dry: bool, connector: type[SnowflakeConnector]) -> list[tuple[str, str]]:
    """``permifrost run SPEC [--dry]`` in-process (its real code path) with ``connector`` in place of
    SnowflakeConnector; (status, sql) per statement printed."""
    out = io.StringIO()
    with contextlib.ExitStack() as stack:
        for module in _CONNECTOR_USERS:
            stack.enter_context(mock.patch(f"{module}.SnowflakeConnector", connector))
        stack.enter_context(contextlib.redirect_stdout(out))  # click.secho writes to the current sys.stdout
        try:
            permifrost_cli.main(["run", str(path), *(["--dry"] if dry else [])], "permifrost", standalone_mode=False)
        except SystemExit as exc:  # permifrost prints why the spec did not load, then exits 1
            if exc.code:
                raise PermifrostError(f"permifrost refused {path}:\n{out.getvalue().strip()}") from None
    return [(m[1], m[2]) for line in out.getvalue().splitlines() if (m := _PRINTED.match(line))]


class _AccountConnector(SnowflakeConnector):
    """The real connector, except that SHOW USERS names a login that is not a plain identifier the way the
    spec does ('"first.last@example.com"'): permifrost 0.15.5 lists it bare, then reports the user missing."""

    def show_users(self) -> list[str]:
        return [self.snowflaky_user_role(name) for name in super().show_users()]


def _stub_connector(spec: dict[str, Any]) -> type[SnowflakeConnector]:
    """A SnowflakeConnector for an imaginary account holding exactly the spec's objects and no grants.

    It never connects: permifrost only calls the SHOW-style methods below during a dry run.
    """
    entities = EntityGenerator(spec).inspect_entities()
    owners = {name: str(config.get("owner", "securityadmin")) for name, config in _entries(spec, "roles")}
    roles = {role: owners.get(role, "securityadmin") for role in entities["roles"]}
    schemas = sorted(s for s in entities["schema_refs"] if "*" not in s)
    tables = sorted(t for t in entities["table_refs"] if "*" not in t)

    class StubConnector(SnowflakeConnector):
        def __init__(self, config: dict[str, Any] | None = None) -> None:
            pass  # no engine, so nothing can reach a server

        def run_query(self, query: str) -> Any:
            raise RuntimeError(f"the offline plan must not run SQL: {query}")

        def get_current_user(self) -> str:
            return "permission_bot"

        def get_current_role(self) -> str:
            return "securityadmin"

        def show_databases(self) -> list[str]:
            return sorted(entities["databases"])

        def show_warehouses(self) -> list[str]:
            return sorted(entities["warehouses"])

        def show_integrations(self) -> list[str]:
            return sorted(entities["integrations"])

        def show_users(self) -> list[str]:
            return sorted(entities["users"])

        def show_roles(self) -> dict[str, str]:
            return dict(sorted(roles.items()))

        def show_schemas(self, database: str | None = None) -> list[str]:
            return [s for s in schemas if database in (None, s.split(".")[0])]

        def show_tables(self, database: str | None = None, schema: str | None = None) -> list[str]:
            prefix = f"{schema}." if schema else f"{database}." if database else ""
            return [t for t in tables if t.startswith(prefix)]

        def show_views(self, database: str | None = None, schema: str | None = None) -> list[str]:
            return []

        def show_future_grants(self, database: str | None = None, schema: str | None = None) -> dict[str, Any]:
            return {}

        def show_grants_to_role(self, role: str) -> dict[str, Any]:
            return {}

        def show_roles_granted_to_user(self, user: str) -> list[str]:
            return []

    return StubConnector


# -- apply: user provisioning, then permifrost ---------------------------------------------------------------
@dataclass(frozen=True)
class ProvisionStatement:
    user: str  # as written in the spec
    sql: str


def _identifier(name: str) -> str:
    """A spec name as a quoted SQL identifier; plain names are upper-cased, as Snowflake stores them."""
    if _QUOTED.fullmatch(name):
        return name
    if _PLAIN.fullmatch(name):
        return f'"{name.upper()}"'
    raise ValueError(f"not a valid Snowflake name: {name!r}")


def _account_name(name: str) -> str:
    """How SHOW USERS names a spec user: inner text of a quoted name, upper case of a plain one."""
    return name[1:-1] if _QUOTED.fullmatch(name) else name.upper() if _PLAIN.fullmatch(name) else name


def provisioning_statements(spec: dict[str, Any], existing_users: Iterable[str]) -> list[ProvisionStatement]:
    """CREATE USER statements for the spec's users not among ``existing_users`` (SHOW USERS names, bare or quoted).

    Pure: no connection. Users are created without a password, so none exists to leak: a person signs in through
    SSO, or a securityadmin issues `ALTER USER ... RESET PASSWORD` (a one-time link) or sets a key pair. Identifiers
    are validated and quoted.
    """
    existing = {_account_name(u) for u in existing_users}
    statements = []
    for user, config in _entries(spec, "users"):
        if _account_name(user) in existing:
            continue
        role, warehouse = config.get("default_role"), config.get("default_warehouse")
        if not role or not warehouse:
            raise ValueError(f"user {user}: default_role and default_warehouse are needed to create it")
        sql = (
            f"CREATE USER IF NOT EXISTS {_identifier(user)} DEFAULT_ROLE = {_identifier(str(role))}"
            f" DEFAULT_WAREHOUSE = {_identifier(str(warehouse))}"
        )
        statements.append(ProvisionStatement(user, sql))
    return statements


def provision_users(spec: dict[str, Any], connector: SnowflakeConnector) -> list[str]:
    """Create the spec's users missing from the account; returns their names."""
    statements = provisioning_statements(spec, connector.show_users())
    if not statements:
        return []
    connection = connector.engine.raw_connection()
    try:
        cursor = connection.cursor()
        for statement in statements:
            try:
                cursor.execute(statement.sql)
            except Exception as exc:
                raise ProvisioningError(f"creating user {statement.user} failed: {registry.redact(str(exc))}") from exc
            logger.info("created user %s (no password: SSO, a password reset link or a key pair)", statement.user)
    finally:
        connection.close()
    return [s.user for s in statements]


def apply(path: str | Path = DEFAULT_SPEC) -> list[str]:
    """The daily task: validate, create missing users, then ``permifrost run`` (grants and revokes).

    Returns the statements run. Raises InvalidSpecError, MissingSecretError, ProvisioningError or
    PermifrostError (permifrost refused the spec, or statements failed: it carries on past failures).
    """
    path = Path(path)
    problems = validate(path)
    if problems:
        raise InvalidSpecError(path, problems)
    registry.require(FAMILY, "snowflake")
    created = provision_users(load_spec(str(path)), _AccountConnector())
    results = _run_permifrost(path, dry=False, connector=_AccountConnector)
    failed = [sql for status, sql in results if status == "ERROR"]
    if failed:
        raise PermifrostError(f"{len(failed)} of {len(results)} statements failed:\n" + "\n".join(failed))
    logger.info("permissions applied: %d user(s) created, %d statement(s) run", len(created), len(results))
    return [sql for _, sql in results]
