"""The simulated world every source is drawn from: servers, customers, their deals and licenses.

Sources stay consistent with each other: a licensed server pings with `be=true`, reports its customer's license
to Segment, the license is in the nightly export and is the `license_key__c` of the won opportunity.
"""

from __future__ import annotations

import calendar
import dataclasses
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from devdata.model import DirtOptions, DirtRecord, add_years, at, mm_id, seeded, stripe_id

SERVER_VERSIONS = [
    ("5.20.1", 20), ("5.20.0", 8), ("5.19.1", 14), ("5.19.0", 6), ("5.18.1", 8), ("5.16.3", 8),
    ("5.12.6", 6), ("5.9.0", 5), ("4.10.10", 3),
]
DESKTOP_VERSIONS = ["4.3.2", "4.4.0", "4.4.1"]
DEV_VERSION = "5.21.0"
SKU_PRICE = {"E10": Decimal("40.00"), "E20": Decimal("102.00")}  # list price per seat and year

_WORDS = [
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell", "Cyberdyne",
    "Soylent", "Wonka", "Gringotts", "Aperture", "Monarch", "Nakatomi", "Oscorp", "Massive", "Dynamic", "Pied",
]
_NOUNS = ["Systems", "Industries", "Labs", "Logistics", "Networks", "Health", "Energy", "Bank", "Defense", "Media"]
_SUFFIXES = ["Corp", "GmbH", "AG", "Ltd", ", Inc.", "LLC", "SA"]  # ", Inc." makes the CSV quote the field


@dataclasses.dataclass(frozen=True)
class Server:
    id: str
    build: str  # the `b` query value: version + "." + build number
    version: str
    enterprise: bool
    db: str
    os: str
    distribution: int  # 0 = DIAGNOSTIC_LOCATION_ONE, 1 = DIAGNOSTIC_LOCATION_TWO
    ip: str
    users: int
    active_users: int
    teams: int
    first_day: int  # offset from the start day of its first ping (new installs appear during the window)
    installed: datetime
    customer: int | None = None
    ran_tests: bool = False
    dev_build: bool = False
    uc_below_auc: bool = False
    tracking: bool = True


@dataclasses.dataclass(frozen=True)
class Deal:
    """One opportunity: its one-year terms become Recurring line items, a won deal issues one license."""

    kind: str  # New | Ren | Expansion
    close: date
    terms: tuple[tuple[date, date], ...]
    seats: int  # quantity on each line item (added seats for an expansion)
    users: int  # seats the license grants
    sku: str
    discount: Decimal  # percent
    won: bool = True
    closed: bool = True
    license_id: str | None = None
    issued: datetime | None = None

    @property
    def start(self) -> date:
        return self.terms[0][0]

    @property
    def end(self) -> date:
        return self.terms[-1][1]


@dataclasses.dataclass
class Customer:
    index: int
    company: str
    domain: str
    customer_id: str
    stripe_id: str
    parent: int | None = None  # index of the master account's customer
    deals: list[Deal] = dataclasses.field(default_factory=list)

    def license_on(self, day: date) -> Deal | None:
        """The most recently issued won deal whose license covers `day`."""
        covering = [d for d in self.deals if d.license_id and d.start <= day <= d.end]
        return max(covering, key=lambda d: d.issued, default=None)


@dataclasses.dataclass(frozen=True)
class ExtraLicense:
    """A license with no Salesforce deal: trials and non-production licenses."""

    license_id: str
    customer_id: str
    company: str
    email: str
    stripe_id: str
    issued: datetime
    expires: datetime


@dataclasses.dataclass
class World:
    start: date
    days: int
    servers: list[Server]
    customers: list[Customer]
    extra_licenses: list[ExtraLicense]

    @property
    def today(self) -> date:
        """The day after the window: the generated data is as of this morning."""
        return self.start + timedelta(days=self.days)

    def window(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


def build_world(seed: int, start: date, days: int, servers: int, dirt: DirtOptions, record: DirtRecord) -> World:
    """`servers` servers and one customer per ten servers (at least four); dirty servers go into `record`."""
    rng = seeded(seed, "world")
    today = start + timedelta(days=days)
    customers = [_customer(rng, i, today) for i in range(max(4, servers // 10))]
    _assign_parents(rng, customers)
    fleet = [_server(rng, start, days, i) for i in range(servers)]
    fleet = _license_servers(rng, fleet, customers)
    fleet = _dirty_servers(rng, fleet, dirt, record)
    extra = _extra_licenses(rng, customers, start, today)
    return World(start, days, fleet, customers, extra)


def _ip(rng: random.Random) -> str:
    first = rng.choice([23, 34, 52, 64, 81, 91, 104, 138, 151, 185, 193, 212])
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _server(rng: random.Random, start: date, days: int, index: int) -> Server:
    version = rng.choices([v for v, _ in SERVER_VERSIONS], weights=[w for _, w in SERVER_VERSIONS])[0]
    users = int(rng.lognormvariate(3.5, 1.3)) + 1
    first_day = rng.randrange(1, days) if days > 1 and rng.random() < 0.1 else 0
    installed = start + timedelta(days=first_day) if first_day else start - timedelta(days=rng.randint(1, 900))
    return Server(
        id=mm_id(rng),
        build=f"{version}.{version}",
        version=version,
        enterprise=rng.random() < 0.6,
        db=rng.choices(["postgres", "mysql"], weights=[65, 35])[0],
        os=rng.choices(["linux", "windows", "darwin"], weights=[94, 4, 2])[0],
        distribution=int(index % 7 == 1),  # one in seven still uses the older distribution
        ip=_ip(rng),
        users=users,
        active_users=max(0, int(users * rng.uniform(0.2, 0.9))),
        teams=rng.randint(1, 3 + users // 50),
        first_day=first_day,
        installed=at(installed, rng.uniform(0, 86400)),
        tracking=rng.random() < 0.85,
    )


def _license_servers(rng: random.Random, fleet: list[Server], customers: list[Customer]) -> list[Server]:
    """Give each customer one or two enterprise servers."""
    fleet = list(fleet)
    free = rng.sample(range(len(fleet)), len(fleet))
    for customer in customers:
        for _ in range(rng.choice([1, 1, 2])):
            if free:
                i = free.pop()
                fleet[i] = _replace(fleet[i], enterprise=True, customer=customer.index,
                                    users=fleet[i].users + 50, active_users=fleet[i].active_users + 30)
    return fleet


def _dirty_servers(rng: random.Random, fleet: list[Server], dirt: DirtOptions, record: DirtRecord) -> list[Server]:
    """Mark disjoint sets of servers as dev builds, unit-test runners and uc < auc reporters."""
    fleet = list(fleet)
    pool = rng.sample(range(len(fleet)), len(fleet))
    for count, change, target in [
        (dirt.dev_servers, {"dev_build": True}, record.dev_servers),
        (dirt.test_servers, {"ran_tests": True}, record.test_servers),
        (dirt.uc_below_auc_servers, {"uc_below_auc": True}, record.uc_below_auc_servers),
    ]:
        for i in pool[:count]:
            fleet[i] = _replace(fleet[i], **change)
            target.append(fleet[i].id)
        pool = pool[count:]
    record.tracking_disabled_servers.extend(s.id for s in fleet if not s.tracking)
    return fleet


def _replace(server: Server, **changes: object) -> Server:
    server = dataclasses.replace(server, **changes)
    if server.dev_build:  # a build from source: the build number placeholder was never substituted
        server = dataclasses.replace(server, version=DEV_VERSION, build=f"{DEV_VERSION}._BUILD_NUMBER_")
    return server


def _company(rng: random.Random, index: int) -> tuple[str, str]:
    word, noun = _WORDS[index % len(_WORDS)], rng.choice(_NOUNS)
    generation = f" {index // len(_WORDS) + 1}" if index >= len(_WORDS) else ""
    suffix = rng.choice(_SUFFIXES)
    name = f"{word}{generation} {noun}{suffix if suffix.startswith(',') else ' ' + suffix}"
    return name, f"{word.lower()}{generation.strip()}-{noun.lower()}.example.com"


def _customer(rng: random.Random, index: int, today: date) -> Customer:
    company, domain = _company(rng, index)
    customer = Customer(index, company, domain, mm_id(rng), stripe_id(rng))
    # The first customers follow fixed scripts, so every scenario exists however small the world.
    if index == 0:  # yearly terms from 1 September, so one of them crosses the last 29 February (366 days)
        customer.deals = _history(rng, today, date(_last_leap_day(today).year - 1, 9, 1), "loyal")
    elif index == 1:
        customer.deals = [_multi_year_deal(rng, today, _next_leap_day(today))]
    elif index == 2:
        customer.deals = _history(rng, today, today - timedelta(days=rng.randint(400, 700)), "churn")
    else:
        customer.deals = _history(rng, today, today - timedelta(days=rng.randint(60, 1100)))
    return customer


def _last_leap_day(today: date) -> date:
    year = today.year
    while not (calendar.isleap(year) and date(year, 2, 29) <= today):
        year -= 1
    return date(year, 2, 29)


def _next_leap_day(today: date) -> date:
    year = today.year
    while not (calendar.isleap(year) and date(year, 2, 29) > today):
        year += 1
    return date(year, 2, 29)


def _term(start: date) -> tuple[date, date]:
    return start, add_years(start, 1) - timedelta(days=1)


def _won(rng: random.Random, kind: str, close: date, terms: list[tuple[date, date]], seats: int, users: int,
         sku: str) -> Deal:
    issued = at(close, rng.uniform(9 * 3600, 18 * 3600))
    discount = Decimal(rng.choice([0, 0, 10, 15, 20]))
    return Deal(kind, close, tuple(terms), seats, users, sku, discount, license_id=mm_id(rng), issued=issued)


def _history(rng: random.Random, today: date, first: date, script: str | None = None) -> list[Deal]:
    """Yearly terms from `first`: renewals, mid-term expansions, churn, and an open renewal at the end.

    A "loyal" customer expands in its first term and never churns; a "churn" one is lost at its first renewal.
    """
    first = first.replace(day=min(first.day, 28))
    seats, sku = rng.choice([25, 50, 100, 250, 500, 1000, 5000]), rng.choice(["E10", "E20", "E20"])
    deals: list[Deal] = []
    kind, term_start = "New", first
    while term_start <= today:
        term = _term(term_start)
        deals.append(_won(rng, kind, term_start - timedelta(days=rng.randint(3, 40)), [term], seats, seats, sku))
        expansion = term_start + timedelta(days=rng.randint(60, 300))
        if ((script == "loyal" and kind == "New") or rng.random() < 0.25) and expansion < min(today, term[1]):
            added = rng.choice([25, 50, 100])
            seats += added
            deals.append(_won(rng, "Expansion", expansion - timedelta(days=5), [(expansion, term[1])], added, seats,
                              sku))
        term_start = term[1] + timedelta(days=1)
        if term_start > today:
            if script == "loyal" or rng.random() < 0.6:
                deals.append(_open_renewal(rng, today, term_start, seats, sku))
            break
        if script == "churn" or (script is None and rng.random() < 0.15):
            deals.append(_lost_renewal(rng, term_start, seats, sku))
            break
        seats = max(10, seats + rng.choice([-25, 0, 0, 0, 50]))
        kind = "Ren"
    return deals


def _open_renewal(rng: random.Random, today: date, term_start: date, seats: int, sku: str) -> Deal:
    close = max(today + timedelta(days=1), term_start - timedelta(days=rng.randint(1, 20)))
    return Deal("Ren", close, (_term(term_start),), seats, seats, sku, Decimal(0), won=False, closed=False)


def _lost_renewal(rng: random.Random, term_start: date, seats: int, sku: str) -> Deal:
    close = term_start - timedelta(days=rng.randint(1, 20))
    return Deal("Ren", close, (_term(term_start),), seats, seats, sku, Decimal(0), won=False, closed=True)


def _multi_year_deal(rng: random.Random, today: date, leap_day: date) -> Deal:
    """A three-year deal of one-year terms; the last one crosses the next 29 February."""
    first = date(leap_day.year - 3, 9, 1)
    terms = [_term(add_years(first, k)) for k in range(3)]
    return _won(rng, "New", min(first, today) - timedelta(days=20), terms, 250, 250, "E20")


def _assign_parents(rng: random.Random, customers: list[Customer]) -> None:
    """Customer 3 and about one in five of the later ones are subsidiaries of an earlier (master) customer."""
    for customer in customers[3:]:
        if customer.index == 3 or rng.random() < 0.2:
            masters = [c.index for c in customers[: customer.index] if c.parent is None]
            customer.parent = rng.choice(masters)


def _extra_licenses(rng: random.Random, customers: list[Customer], start: date, today: date) -> list[ExtraLicense]:
    """Trials (30 days, some before a customer's first deal) and a non-production license."""
    extra: list[ExtraLicense] = []
    for customer in customers:
        if rng.random() < 0.3:
            issued = at(customer.deals[0].close - timedelta(days=rng.randint(20, 40)), rng.uniform(0, 86400))
            extra.append(_trial(rng, customer.company, customer.domain, issued, customer.customer_id))
    for i in range(max(3, len(customers) // 2)):
        issued = at(start - timedelta(days=rng.randint(-(today - start).days + 1, 120)), rng.uniform(0, 86400))
        company, domain = _company(rng, len(customers) + i)
        extra.append(_trial(rng, company, domain, issued, mm_id(rng)))
    owner = customers[len(customers) // 2]
    issued = at(owner.deals[0].close, 43200.0)
    extra.append(ExtraLicense(mm_id(rng), owner.customer_id, f"{owner.company} - Non-prod", f"it@{owner.domain}",
                              owner.stripe_id, issued, issued + timedelta(days=365)))
    return extra


def _trial(rng: random.Random, company: str, domain: str, issued: datetime, customer_id: str) -> ExtraLicense:
    return ExtraLicense(mm_id(rng), customer_id, f"{company} - Trial", f"admin@{domain}",
                        stripe_id(rng), issued, issued + timedelta(days=30))
