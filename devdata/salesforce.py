"""Salesforce objects as Heroku Connect keeps them in Postgres schema `orgm` (columns: dbt/models/sources/orgm.yml)."""

from __future__ import annotations

import calendar
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from devdata.model import DirtRecord, Table, at, seeded, sf_id
from devdata.world import SKU_PRICE, Customer, Deal, World

_KEY = [("id", "INTEGER"), ("sfid", "VARCHAR(18)")]
_STAMPS = [("systemmodstamp", "TIMESTAMP"), ("createddate", "TIMESTAMP")]
_SYSTEM = [("isdeleted", "BOOLEAN"), ("_hc_lastop", "VARCHAR(32)"), ("_hc_err", "VARCHAR")]
_MONEY = "NUMERIC(18,2)"
_REF = "VARCHAR(18)"


def _object(*columns: tuple[str, str]) -> list[tuple[str, str]]:
    return _KEY + list(columns) + _STAMPS + _SYSTEM


COLUMNS: dict[str, list[tuple[str, str]]] = {
    "user": _object(("firstname", "VARCHAR"), ("lastname", "VARCHAR"), ("name", "VARCHAR"), ("email", "VARCHAR"),
                    ("isactive", "BOOLEAN"), ("system_type__c", "VARCHAR")),
    "account": _object(("name", "VARCHAR"), ("parentid", _REF), ("type", "VARCHAR"), ("arr_current__c", _MONEY),
                       ("health_score__c", _MONEY), ("ownerid", _REF), ("company_type__c", "VARCHAR"),
                       ("csm_lookup__c", _REF), ("zendesk__zendesk_organization_id__c", "VARCHAR")),
    "contact": _object(("firstname", "VARCHAR"), ("lastname", "VARCHAR"), ("name", "VARCHAR"), ("email", "VARCHAR"),
                       ("accountid", _REF), ("title", "VARCHAR")),
    "opportunity": _object(
        ("name", "VARCHAR"), ("accountid", _REF), ("iswon", "BOOLEAN"), ("isclosed", "BOOLEAN"), ("closedate", "DATE"),
        ("type", "VARCHAR"), ("stagename", "VARCHAR"), ("amount", _MONEY), ("probability", _MONEY),
        ("forecastcategoryname", "VARCHAR"), ("expectedrevenue", _MONEY), ("ownerid", _REF),
        ("license_key__c", "VARCHAR"), ("arr_contributed__c", _MONEY), ("renewal_risk_status__c", "VARCHAR"),
        ("csm_owner__c", _REF), ("status_wlo__c", "VARCHAR")),
    "opportunitylineitem": _object(
        ("name", "VARCHAR"), ("opportunityid", _REF), ("product2id", _REF), ("product_type__c", "VARCHAR"),
        ("product_line_type__c", "VARCHAR"), ("revenue_type__c", "VARCHAR"), ("description", "VARCHAR"),
        ("listprice", _MONEY), ("unitprice", _MONEY), ("discount", _MONEY), ("quantity", _MONEY),
        ("totalprice", _MONEY), ("start_date__c", "DATE"), ("end_date__c", "DATE"), ("arr_contributed__c", _MONEY)),
    "task": _object(
        ("accountid", _REF), ("whoid", _REF), ("whatid", _REF), ("ownerid", _REF), ("createdbyid", _REF),
        ("lastmodifiedbyid", _REF), ("lastmodifieddate", "TIMESTAMP"), ("subject", "VARCHAR"), ("status", "VARCHAR"),
        ("priority", "VARCHAR"), ("type", "VARCHAR"), ("tasksubtype", "VARCHAR"), ("activitydate", "DATE"),
        ("description", "VARCHAR"), ("isclosed", "BOOLEAN"), ("ishighpriority", "BOOLEAN"), ("isarchived", "BOOLEAN"),
        ("isrecurrence", "BOOLEAN"), ("isreminderset", "BOOLEAN"), ("reminderdatetime", "TIMESTAMP"),
        ("calldurationinseconds", "INTEGER"), ("calltype", "VARCHAR"), ("calldisposition", "VARCHAR")),
    "delete_history__c": _object(("name", "VARCHAR"), ("object_id__c", _REF), ("object_type__c", "VARCHAR"),
                                 ("deleted_date__c", "TIMESTAMP")),
    # Heroku Connect's own write-back queue, not a Salesforce object.
    "_trigger_log": [
        ("id", "INTEGER"), ("txid", "BIGINT"), ("created_at", "TIMESTAMP"), ("updated_at", "TIMESTAMP"),
        ("processed_at", "TIMESTAMP"), ("processed_tx", "BIGINT"), ("state", "VARCHAR(8)"), ("action", "VARCHAR(7)"),
        ("table_name", "VARCHAR(128)"), ("record_id", "INTEGER"), ("sfid", _REF), ("old", "VARCHAR"),
        ("values", "VARCHAR"), ("sf_result", "INTEGER"), ("sf_message", "VARCHAR")],
}
KEY_PREFIX = {"user": "005", "account": "001", "contact": "003", "opportunity": "006", "opportunitylineitem": "00k",
              "task": "00T", "delete_history__c": "a0X"}
PRODUCTS = {"E10": "01t3600000E10Prod", "E20": "01t3600000E20Prod", "Professional Services": "01t3600000PSrvcs",
            "Training": "01t3600000Trains"}
LOCK_MESSAGE = "unable to obtain exclusive access to this record or 1 records: {}"
_REPS = [("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing"), ("Edsger", "Dijkstra"), ("Barbara", "Liskov")]
_CENT = Decimal("0.01")


class _Org:
    """Rows of every orgm table as dicts, with Heroku Connect defaults and serial ids."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng, self.now = rng, now
        self.rows: dict[str, list[dict]] = {name: [] for name in COLUMNS}

    def add(self, table: str, created: datetime | None = None, **values: object) -> dict:
        row = {"id": len(self.rows[table]) + 1, **values}
        if table in KEY_PREFIX:
            created = min(created or self.now, self.now - timedelta(hours=1))
            modified = created + (self.now - created) * self.rng.random()
            row = {"sfid": sf_id(self.rng, KEY_PREFIX[table]), "createddate": created.replace(microsecond=0),
                   "systemmodstamp": modified.replace(microsecond=0), "isdeleted": False, "_hc_lastop": "SYNCED",
                   **row}
        self.rows[table].append(row)
        return row

    def tables(self) -> list[Table]:
        return [Table("orgm", name, columns, [tuple(row.get(c) for c, _ in columns) for row in self.rows[name]],
                      serial="id", unique=("sfid",) if name in KEY_PREFIX else ())
                for name, columns in COLUMNS.items()]


def orgm_tables(world: World, seed: int, record: DirtRecord) -> list[Table]:
    rng = seeded(seed, "salesforce")
    org = _Org(rng, at(world.today, 3 * 3600))
    reps = [org.add("user", at(world.start - timedelta(days=800), 0), firstname=first, lastname=last,
                    name=f"{first} {last}", email=f"{first.lower()}@mattermost.example", isactive=True,
                    system_type__c="Standard")["sfid"] for first, last in _REPS]
    marketo = org.add("user", at(world.start - timedelta(days=900), 0), lastname="Marketo", name="Marketo",
                      email="marketo@mattermost.example", isactive=True, system_type__c="Integration")["sfid"]
    record.marketo_user_sfid = marketo
    accounts = [_account(org, world, customer, reps) for customer in world.customers]
    for customer, account in zip(world.customers, accounts, strict=True):
        account["parentid"] = accounts[customer.parent]["sfid"] if customer.parent is not None else None
        contacts = _contacts(org, customer, account)
        for deal in customer.deals:
            _opportunity(org, customer, account, deal, reps, record)
        _tasks(org, account, contacts, reps, marketo)
    _deletes(org, record)
    _trigger_log(org, accounts, record)
    return org.tables()


def _arr_on(customer: Customer, day: date) -> Decimal:
    """Annual recurring revenue of the customer's won terms covering `day`."""
    return sum((_annual(deal) for deal in customer.deals if deal.won
                for start, end in deal.terms if start <= day <= end), Decimal(0))


def _unit_price(deal: Deal) -> Decimal:
    return (SKU_PRICE[deal.sku] * (100 - deal.discount) / 100).quantize(_CENT)


def _annual(deal: Deal) -> Decimal:
    return _unit_price(deal) * deal.seats


def _crosses_leap_day(start: date, end: date) -> bool:
    return any(calendar.isleap(y) and start <= date(y, 2, 29) <= end for y in range(start.year, end.year + 1))


def _account(org: _Org, world: World, customer: Customer, reps: list[str]) -> dict:
    rng = org.rng
    arr = _arr_on(customer, world.today)
    # Most accounts carry today's ARR already; the write-back still has stale and missing values to fix.
    current = rng.choices([arr, (arr * Decimal("0.8")).quantize(_CENT), None], weights=[75, 15, 10])[0]
    return org.add(
        "account", at(customer.deals[0].close - timedelta(days=60), rng.uniform(0, 86400)),
        name=customer.company, type="Customer" if current is None or current > 0 else "Customer (Attrited)",
        arr_current__c=current, health_score__c=rng.choice([None, Decimal(rng.randint(35, 95))]),
        ownerid=rng.choice(reps), company_type__c=rng.choice(["Enterprise", "SMB", "Government", "Education"]),
        csm_lookup__c=rng.choice([None, *reps]), zendesk__zendesk_organization_id__c=str(rng.randint(10**8, 10**9)),
    )


def _contacts(org: _Org, customer: Customer, account: dict) -> list[dict]:
    names = [("Jordan", "Admin"), ("Sam", "Buyer"), ("Alex", "Champion")]
    return [org.add("contact", account["createddate"] + timedelta(days=i), firstname=first, lastname=last,
                    name=f"{first} {last}", email=f"{first.lower()}.{last.lower()}@{customer.domain}",
                    accountid=account["sfid"], title=org.rng.choice(["CTO", "IT Manager", "Procurement"]))
            for i, (first, last) in enumerate(names[: org.rng.randint(1, 3)])]


def _opportunity(org: _Org, customer: Customer, account: dict, deal: Deal, reps: list[str],
                 record: DirtRecord) -> None:
    rng = org.rng
    label = {"New": "New Subscription", "Ren": "Renewal", "Expansion": "Expansion"}[deal.kind]
    stage = "6. Closed Won" if deal.won else "7. Closed Lost" if deal.closed else rng.choice(["3. Proposal",
                                                                                              "4. Negotiation"])
    probability = Decimal(100 if deal.won else 0 if deal.closed else rng.choice([40, 60, 80]))
    opp = org.add(
        "opportunity", at(deal.close - timedelta(days=rng.randint(20, 120)), rng.uniform(0, 86400)),
        name=f"{customer.company} {label} {deal.start.year}", accountid=account["sfid"], iswon=deal.won,
        isclosed=deal.closed, closedate=deal.close, type=label, stagename=stage, probability=probability,
        forecastcategoryname="Closed" if deal.won else "Omitted" if deal.closed else "Pipeline",
        ownerid=rng.choice(reps), license_key__c=deal.license_id,
        arr_contributed__c=_annual(deal) if deal.won else None,
        renewal_risk_status__c=rng.choice([None, "At Risk", "Early Warning"]) if not deal.closed else None,
        csm_owner__c=account["csm_lookup__c"], status_wlo__c="Won" if deal.won else "Lost" if deal.closed else "Open",
    )
    items = [_recurring_item(org, opp, deal, start, end, record) for start, end in deal.terms]
    if deal.kind == "New" and (rng.random() < 0.4 or customer.index % 5 == 2):
        items.append(_one_off_item(org, opp, deal, "Professional Services", deal.close + timedelta(days=14), 0))
    if deal.kind == "New" and customer.index % 5 == 2:
        # Non-recurring but spanning 90 days: only the Recurring filter keeps it out of ARR.
        items.append(_one_off_item(org, opp, deal, "Training", deal.close + timedelta(days=7), 90))
    opp["amount"] = sum((item["totalprice"] for item in items), Decimal(0))
    opp["expectedrevenue"] = (opp["amount"] * probability / 100).quantize(_CENT)


def _recurring_item(org: _Org, opp: dict, deal: Deal, start: date, end: date, record: DirtRecord) -> dict:
    leap = _crosses_leap_day(start, end)
    days = (end - start).days + 1 - leap
    unit = _unit_price(deal)
    item = org.add(
        "opportunitylineitem", opp["createddate"], name=f"{opp['name']} {deal.sku}", opportunityid=opp["sfid"],
        product2id=PRODUCTS[deal.sku], product_type__c="Recurring", product_line_type__c=deal.kind,
        revenue_type__c="Subscription", description=f"Mattermost {deal.sku}, {deal.seats} seats",
        listprice=SKU_PRICE[deal.sku], unitprice=unit, discount=deal.discount.quantize(_CENT),
        quantity=Decimal(deal.seats).quantize(_CENT),
        totalprice=(unit * deal.seats * min(days, 365) / 365).quantize(_CENT),  # prorated for partial terms
        start_date__c=start, end_date__c=end, arr_contributed__c=_annual(deal),
    )
    if leap:
        record.leap_line_items.append(item["sfid"])
    return item


def _one_off_item(org: _Org, opp: dict, deal: Deal, product: str, start: date, days: int) -> dict:
    price = Decimal(org.rng.choice([5000, 7500, 12000, 25000]))
    return org.add(
        "opportunitylineitem", opp["createddate"], name=f"{opp['name']} {product}", opportunityid=opp["sfid"],
        product2id=PRODUCTS[product], product_type__c="Non-Recurring", product_line_type__c=deal.kind,
        revenue_type__c="Services", description=product, listprice=price, unitprice=price,
        discount=Decimal("0.00"), quantity=Decimal("1.00"), totalprice=price, start_date__c=start,
        end_date__c=start + timedelta(days=days), arr_contributed__c=None,
    )


def _tasks(org: _Org, account: dict, contacts: list[dict], reps: list[str], marketo: str) -> None:
    """Marketo e-mail activity (which the Postgres copy filters out) and the reps' own calls and e-mails."""
    rng = org.rng
    for i in range(rng.randint(2, 7)):
        by_marketo = i == 0 or rng.random() < 0.3
        created = org.now - timedelta(days=rng.uniform(1, 180))
        kind = "Email" if by_marketo else rng.choice(["Call", "Email", "Meeting"])
        closed = by_marketo or rng.random() < 0.7
        owner = rng.choice(reps)
        org.add(
            "task", created, accountid=account["sfid"], whoid=rng.choice(contacts)["sfid"], whatid=account["sfid"],
            ownerid=owner, createdbyid=marketo if by_marketo else owner, lastmodifiedbyid=owner,
            lastmodifieddate=created.replace(microsecond=0),
            subject="Marketo: Email Sent - Monthly Newsletter" if by_marketo else f"{kind}: follow-up",
            status="Completed" if closed else rng.choice(["Not Started", "In Progress"]), priority="Normal",
            type=kind, tasksubtype="Email" if kind == "Email" else "Call" if kind == "Call" else "Task",
            activitydate=created.date() if closed else (created + timedelta(days=7)).date(),
            description=None if by_marketo else "Discussed rollout and renewal timeline.", isclosed=closed,
            ishighpriority=False, isarchived=False, isrecurrence=False, isreminderset=not closed,
            reminderdatetime=None if closed else (created + timedelta(days=6)).replace(microsecond=0),
            calldurationinseconds=rng.randint(60, 1800) if kind == "Call" else None,
            calltype="Outbound" if kind == "Call" else None,
            calldisposition="Connected" if kind == "Call" else None,
        )


def _deletes(org: _Org, record: DirtRecord) -> None:
    """Soft-deleted rows (isdeleted), their delete_history__c entries, and entries for rows not (yet) gone."""
    rng = org.rng
    lost_or_open = [o for o in org.rows["opportunity"] if not o["iswon"]]
    deleted = [("opportunity", o) for o in rng.sample(lost_or_open, min(1, len(lost_or_open)))]
    deleted += [("opportunitylineitem", i) for _, o in deleted for i in org.rows["opportunitylineitem"]
                if i["opportunityid"] == o["sfid"]]
    contacts = rng.sample(org.rows["contact"], min(3, len(org.rows["contact"])))
    deleted += [("contact", c) for c in contacts[:2]]
    for table, row in deleted:
        row["isdeleted"] = True
        record.deleted_rows.append((table, row["sfid"]))
    # One deletion Heroku Connect has not applied yet, and two rows that are already gone.
    pending = [("Contact", c["sfid"]) for c in contacts[2:]]
    gone = [("Account", sf_id(rng, "001")), ("Opportunity", sf_id(rng, "006"))]
    label = {"opportunity": "Opportunity", "opportunitylineitem": "OpportunityLineItem", "contact": "Contact"}
    for n, (kind, sfid) in enumerate([(label[t], r["sfid"]) for t, r in deleted] + pending + gone, start=1):
        when = org.now - timedelta(days=rng.uniform(0.1, 20))
        org.add("delete_history__c", when, name=f"DH-{n:05d}", object_id__c=sfid, object_type__c=kind,
                deleted_date__c=when.replace(microsecond=0))
        record.delete_history.append(sfid)


def _trigger_log(org: _Org, accounts: list[dict], record: DirtRecord) -> None:
    """ARR write-backs queued for Salesforce: pending, done, failed on row locks, rejected by Apex triggers."""
    rng = org.rng
    states = ["FAILED-LOCK", "FAILED-LOCK", "FAILED-APEX", "NEW", "NEW"]
    states += rng.choices(["SUCCESS", "NEW", "FAILED-LOCK"], weights=[6, 2, 2], k=max(1, len(accounts) // 2))
    for n, state in enumerate(states):
        target, table, field = accounts[n % len(accounts)], "account", "arr_current__c"
        message = None
        if state == "FAILED-LOCK":
            message = LOCK_MESSAGE.format(target["sfid"])
            target["_hc_lastop"], target["_hc_err"] = "FAILED", f'{{"op": "UPDATE", "msg": "{message}"}}'
        elif state == "FAILED-APEX":  # rejected by an Apex trigger: connect_retry must leave it FAILED
            target = next(o for o in org.rows["opportunity"] if o["accountid"] == target["sfid"])
            table, field = "opportunity", "arr_contributed__c"
            message = "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY: OpportunityTrigger: execution of AfterUpdate"
        elif state == "NEW":
            target["_hc_lastop"] = "PENDING"
        created = (org.now - timedelta(hours=rng.uniform(1, 72))).replace(microsecond=0)
        done = created + timedelta(minutes=2)
        old = target[field] or Decimal(0)
        new = (old + Decimal(rng.choice([1020, 2040, 5100]))).quantize(_CENT)
        row = org.add(
            "_trigger_log", txid=1_000_000 + n * 7, created_at=created, updated_at=done,
            processed_at=None if state == "NEW" else done, processed_tx=None if state == "NEW" else 1_000_001 + n * 7,
            state=state.split("-")[0], action="UPDATE", table_name=table, record_id=target["id"], sfid=target["sfid"],
            old=f'"{field}"=>"{old}"', values=f'"{field}"=>"{new}"',
            sf_result=None if state == "NEW" else int(message is None), sf_message=message,
        )
        if state == "FAILED-LOCK":
            record.lock_failures.append(row["id"])
