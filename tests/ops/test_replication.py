"""`python -m ops.replication`: a reset reloads a table in one transaction, never leaving it empty or half
replaced; status lists the replicated tables."""

from __future__ import annotations

import pytest

from ops.replication import main, reset, status
from services import replication
from services.replication import ReplicationError
from targets.warehouse.duckdb_session import DuckDBSession
from tasks.extract.replication import ReplicateOrgmTable
from tests.conftest import SLOT, build, live_rows, pg, replicated, wh


def test_reset_reloads_a_table_in_one_transaction_without_an_empty_window(db, monkeypatch):
    dsn = db["dsn"]
    assert build(ReplicateOrgmTable(table="account", slot=SLOT))
    wh("DELETE FROM raw.orgm.account WHERE sfid = ?", (db["lost"],))  # damage the copy
    wh("UPDATE raw.orgm.account SET name = 'wrong'")
    seen_by_reader: list[tuple] = []
    execute = DuckDBSession.execute

    def spy(self, sql, params=()):
        result = execute(self, sql, params)
        if sql == "DELETE FROM raw.orgm.account" and self._in_transaction:  # the replacement's first step
            # Another connection to the same database, while the reset's transaction is open.
            reader = self.con.cursor()
            seen_by_reader.extend(reader.execute("SELECT count(*), min(name) FROM raw.orgm.account").fetchall())
        return result

    with monkeypatch.context() as patched:
        patched.setattr(DuckDBSession, "execute", spy)
        assert main(["reset", "account"]) == 0
    assert seen_by_reader == [(4, "wrong")]  # the old rows, never an empty table
    assert replicated("account") == live_rows(dsn, "account")
    assert wh("SELECT count(*) FROM raw.orgm.account WHERE name = 'wrong'") == [(0,)]
    assert [r[0] for r in status()] == ["account", "delete_history__c"]


def test_a_reset_that_fails_leaves_the_table_as_it_was(db, monkeypatch):
    assert build(ReplicateOrgmTable(table="account", slot=SLOT))
    before = wh("SELECT * FROM raw.orgm.account ORDER BY sfid")
    monkeypatch.setattr(replication, "_write_state", lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError, match="boom"):
        reset("account")
    assert wh("SELECT * FROM raw.orgm.account ORDER BY sfid") == before


def test_an_empty_extract_never_replaces_a_table(db):
    dsn = db["dsn"]
    assert build(ReplicateOrgmTable(table="contact", slot=SLOT))
    pg(dsn, "DELETE FROM orgm.contact")
    with pytest.raises(ReplicationError, match=r"refusing to replace the 1 rows of raw\.orgm\.contact"):
        reset("contact")
    assert wh("SELECT count(*) FROM raw.orgm.contact") == [(1,)]
