"""The Salesforce objects as Heroku Connect keeps them (devdata.salesforce)."""

from __future__ import annotations

from datetime import date, timedelta

from devdata.generate import Dataset


def test_orgm_tables(dataset: Dataset) -> None:
    tables = {t.name: t for t in dataset.orgm}

    def rows(name: str) -> list[dict]:
        return [dict(zip(tables[name].column_names, row, strict=True)) for row in tables[name].rows]

    for name, table in tables.items():
        assert table.serial == "id" and [r["id"] for r in rows(name)] == list(range(1, len(table.rows) + 1))
        if name != "_trigger_log":
            assert {"sfid", "createddate", "systemmodstamp", "isdeleted", "_hc_lastop", "_hc_err"} <= set(
                table.column_names)
            sfids = [r["sfid"] for r in rows(name)]
            assert len(set(sfids)) == len(sfids) and all(len(s) == 18 for s in sfids)
    accounts = rows("account")
    assert any(a["parentid"] for a in accounts)
    opportunities = rows("opportunity")
    assert {(o["iswon"], o["isclosed"]) for o in opportunities} >= {(True, True), (False, True)}
    items = {i["sfid"]: i for i in rows("opportunitylineitem")}
    assert {i["product_type__c"] for i in items.values()} == {"Recurring", "Non-Recurring"}
    assert {"New", "Ren", "Expansion"} <= {i["product_line_type__c"] for i in items.values()}
    leap_days = {date(2024, 2, 29), date(2028, 2, 29)}
    crossing = [items[s] for s in dataset.dirt.leap_line_items]
    assert all(any(i["start_date__c"] <= d <= i["end_date__c"] for d in leap_days) for i in crossing)
    full_years = {d for i in crossing for d in leap_days
                  if i["start_date__c"] <= d <= i["end_date__c"] == i["start_date__c"] + timedelta(days=365)}
    assert full_years == leap_days  # one-year terms of 366 days across both leap days
    marketo = [t for t in rows("task") if t["createdbyid"] == dataset.dirt.marketo_user_sfid]
    assert marketo and len(marketo) < len(rows("task"))
    log = rows("_trigger_log")
    assert {r["state"] for r in log} >= {"NEW", "FAILED"}
    locked = [r["id"] for r in log if (r["sf_message"] or "").startswith("unable to obtain exclusive access")]
    assert locked == dataset.dirt.lock_failures and all(log[i - 1]["state"] == "FAILED" for i in locked)
    deleted = {(name, r["sfid"]) for name in tables if name != "_trigger_log" for r in rows(name) if r["isdeleted"]}
    assert deleted == set(dataset.dirt.deleted_rows) and deleted
    assert {s for _, s in deleted} < {r["object_id__c"] for r in rows("delete_history__c")}
