"""Nightly license exports: the full license list as of each day, one CSV per day (docs/warehouse-layout.md)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta

from devdata.model import LandingFile, epoch_ms
from devdata.world import World

# Column order of the export, the one the loader expects (targets.formats.LICENSE_COLUMNS).
COLUMNS = ("customerid", "company", "number", "email", "stripeid", "licenseid", "issuedat", "expiresat")


def license_rows(world: World) -> list[tuple[datetime, tuple]]:
    """(issued, row) for every license ever issued: one per won deal, plus trials and non-production ones."""
    rows = []
    for customer in world.customers:
        for deal in customer.deals:
            if deal.license_id and deal.issued:
                expires = datetime.combine(deal.end, time(23, 59, 59))
                rows.append((deal.issued, (customer.customer_id, customer.company, 1, f"admin@{customer.domain}",
                                           customer.stripe_id, deal.license_id, epoch_ms(deal.issued),
                                           epoch_ms(expires))))
    for lic in world.extra_licenses:
        rows.append((lic.issued, (lic.customer_id, lic.company, 1, lic.email, lic.stripe_id, lic.license_id,
                                  epoch_ms(lic.issued), epoch_ms(lic.expires))))
    return sorted(rows, key=lambda r: r[0])


def license_files(world: World) -> list[LandingFile]:
    """The export of day D lists every license issued up to the end of D; no header row."""
    rows = license_rows(world)
    files = []
    for day in world.window():
        end = datetime.combine(day + timedelta(days=1), time())
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        selected = [row for issued, row in rows if issued < end]
        writer.writerows(selected)
        files.append(LandingFile(f"licenses/{day}/licenses-{day}.csv", out.getvalue().encode(), False, len(selected)))
    return files
