"""Snowflake privileges, and whether grants cover them: ``Grants`` reads GRANT statements as permifrost's plan of
config/roles.yml and the bootstrap print them (ALL and FUTURE grants cover every object of their database or
schema: permifrost also grants on the objects that exist), or takes what SHOW GRANTS lists.

What each statement needs is worked out by the tests (tests/ops/snowflake/requirements.py) from the statements the
code sends; the result is committed as needed_privileges.txt, which the smoke check compares with an account.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_GRANT = re.compile(
    r"^GRANT (?P<privileges>.+?) ON (?:(?P<scope>ALL|FUTURE) (?P<kinds>\w+) IN (?P<in_kind>DATABASE|SCHEMA) "
    r"(?P<container>\S+)|(?P<kind>FILE FORMAT|\w+) (?P<name>\S+)) TO ROLE (?P<role>\S+)",
    re.I,
)
_GRANT_ROLE = re.compile(r"^GRANT ROLE (?P<granted>\S+) TO ROLE (?P<role>\S+)", re.I)


@dataclass(frozen=True, order=True)
class Privilege:
    privilege: str  # upper case, as SHOW GRANTS has it: SELECT, USAGE, CREATE TABLE, OWNERSHIP...
    kind: str  # TABLE, SCHEMA, DATABASE, WAREHOUSE, STAGE, FILE FORMAT or INTEGRATION
    name: str  # upper-case qualified name; in a grant, a part may be * (every object there)

    def __str__(self) -> str:
        return f"{self.privilege} ON {self.kind} {self.name}"

    @classmethod
    def parse(cls, text: str) -> Privilege:
        """The inverse of str()."""
        privilege, rest = text.split(" ON ", 1)
        kind, name = rest.rsplit(" ", 1)
        return cls(privilege, kind, name)


def object_name(*parts: str) -> str:
    """A Snowflake name as grants and needs compare it: unquoted, upper case."""
    return ".".join(p.strip('"') for p in parts).upper()


@dataclass
class Grants:
    """What each role holds: privileges (a name part may be *) and the roles granted to it."""

    held: dict[str, set[Privilege]] = field(default_factory=dict)
    roles: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, statements: Iterable[str]) -> Grants:
        grants = cls()
        for sql in statements:
            if match := _GRANT_ROLE.match(sql):
                grants.roles.setdefault(object_name(match["role"]), set()).add(object_name(match["granted"]))
            elif match := _GRANT.match(sql):
                held = grants.held.setdefault(object_name(match["role"]), set())
                privileges = [p.strip().upper() for p in match["privileges"].split(",")]
                if match["scope"]:  # ON ALL|FUTURE <kinds> IN DATABASE|SCHEMA <container>
                    kind = match["kinds"].upper().removesuffix("S")
                    depth = {"SCHEMA": 2, "TABLE": 3, "VIEW": 3}.get(kind, 3)
                    container = object_name(match["container"]).split(".")
                    name = ".".join(container + ["*"] * (depth - len(container)))
                else:
                    kind, name = match["kind"].upper(), object_name(match["name"])
                held |= {Privilege(p, kind, name) for p in privileges}
        return grants

    def of(self, role: str) -> set[Privilege]:
        """The role's privileges, with those of every role granted to it."""
        seen, todo, found = set(), [object_name(role)], set()
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                found |= self.held.get(current, set())
                todo += list(self.roles.get(current, ()))
        return found

    def covers(self, role: str, needed: Privilege) -> bool:
        """Held as such, or as OWNERSHIP; a * in a held name stands for any one part."""
        parts = needed.name.split(".")
        return any(
            held.kind == needed.kind and held.privilege in (needed.privilege, "OWNERSHIP")
            and len(held.name.split(".")) == len(parts)
            and all(fnmatch.fnmatchcase(n, h) for h, n in zip(held.name.split("."), parts, strict=True))
            for held in self.of(role)
        )  # fmt: skip
