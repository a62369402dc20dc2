"""A small hand-made RAW warehouse for the dbt tests: the tables of docs/warehouse-layout.md and rows that hit
each rule of the marts (duplicates, dev builds, test runs, double-encoded query strings, partial downloads,
deleted Salesforce rows, a term crossing 29 February...). The tests derive their expectations from these rows
with their own Python code, never from the SQL."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import duckdb

RUN_DATE = dt.date(2020, 2, 6)  # pinned "today": checks of this day are incomplete
EXCLUDED_SERVER = "excludedserver000000000000"

CLOUDFRONT_COLUMNS = [
    "logdate", "logtime", "edge", "bytessent", "cip", "method", "host", "uri", "status", "creferrer",
    "useragent", "cs_uri_query", "cookie", "x_edge_result_type", "x_edge_request_id", "x_host_header",
    "protocol", "cs_bytes", "time_taken", "x_forwarded_for", "ssl_protocol", "ssl_cipher",
    "x_edge_response_result_type", "cs_protocol_version", "file_status", "file_encrypted_fields",
]  # fmt: skip
ALB_COLUMNS = [
    "type", "requesttime", "elb", "client_and_port", "target_and_port", "request_processing_time",
    "target_processing_time", "response_processing_time", "elb_status_code", "target_status_code",
    "received_bytes", "sent_bytes", "request", "user_agent", "ssl_cipher", "ssl_protocol", "target_group_arn",
    "trace_id", "domain_name", "chosen_cert_arn", "matched_rule_priority", "request_creation_time",
    "actions_executed", "dash1", "dash2",
]  # fmt: skip
LICENSE_COLUMNS = ["customerid", "company", "number", "email", "stripeid", "licenseid", "issuedat", "expiresat"]
LOAD_COLUMNS = ["_file VARCHAR", "_row BIGINT", "_loaded_at TIMESTAMP"]
SEGMENT_COMMON = (
    "id VARCHAR, user_id VARCHAR, event VARCHAR, event_text VARCHAR, timestamp TIMESTAMP, received_at TIMESTAMP, "
    "sent_at TIMESTAMP, original_timestamp TIMESTAMP, context_library_version VARCHAR"
)
LICENSE_FEATURES = [
    "cluster", "compliance", "custom_brand", "custom_permissions_schemes", "data_retention", "elastic_search",
    "email_notification_contents", "future", "google", "guest_accounts", "guest_accounts_permissions",
    "id_loaded", "ldap", "ldap_groups", "lock_teammate_name_display", "message_export", "metrics", "mfa",
    "mhpns", "office365", "password", "saml",
]  # fmt: skip
ACTIVITY_COLUMNS = [
    "active_users", "active_users_daily", "active_users_monthly", "bot_accounts", "bot_posts_previous_day",
    "direct_message_channels", "incoming_webhooks", "outgoing_webhooks", "posts", "posts_previous_day",
    "private_channels", "private_channels_deleted", "public_channels", "public_channels_deleted",
    "registered_deactivated_users", "registered_inactive_users", "registered_users", "slash_commands", "teams",
    "used_apiv3",
]  # fmt: skip
SF_SYSTEM = "id INTEGER, systemmodstamp TIMESTAMP, createddate TIMESTAMP, isdeleted BOOLEAN, _hc_lastop VARCHAR"

DDL = {
    "diagnostics.log_entries": ", ".join([f"{c} VARCHAR" for c in CLOUDFRONT_COLUMNS] + LOAD_COLUMNS),
    "releases.log_entries": ", ".join([f"{c} VARCHAR" for c in CLOUDFRONT_COLUMNS] + LOAD_COLUMNS),
    "push_proxy.logs": ", ".join([f"{c} VARCHAR" for c in ALB_COLUMNS] + LOAD_COLUMNS),
    "push_proxy.test_logs": ", ".join([f"{c} VARCHAR" for c in ALB_COLUMNS] + LOAD_COLUMNS),
    "push_proxy.de_logs": ", ".join([f"{c} VARCHAR" for c in ALB_COLUMNS] + LOAD_COLUMNS),
    "licenses.licenses": ", ".join([f"{c} VARCHAR" for c in LICENSE_COLUMNS] + LOAD_COLUMNS),
    "mattermost2.server": SEGMENT_COMMON + ", version VARCHAR, edition VARCHAR, operating_system VARCHAR, "
    "database_type VARCHAR, system_admins BIGINT",
    "mattermost2.license": SEGMENT_COMMON + ", license_id VARCHAR, customer_id VARCHAR, edition VARCHAR, "
    "issued BIGINT, _start BIGINT, expire BIGINT, users BIGINT, "
    + ", ".join(f"feature_{f} BOOLEAN" for f in LICENSE_FEATURES),
    "mattermost2.activity": SEGMENT_COMMON + ", " + ", ".join(f"{c} BIGINT" for c in ACTIVITY_COLUMNS),
    "mattermost_nps.nps_score": SEGMENT_COMMON + ", server_id VARCHAR, user_actual_id VARCHAR, score BIGINT, "
    "license_id VARCHAR, license_sku VARCHAR, server_version VARCHAR, user_role VARCHAR, "
    "server_install_date BIGINT, user_create_at BIGINT",
    "mattermost_nps.nps_feedback": SEGMENT_COMMON + ", server_id VARCHAR, user_actual_id VARCHAR, feedback VARCHAR",
    "orgm.account": "sfid VARCHAR, name VARCHAR, parentid VARCHAR, type VARCHAR, arr_current__c NUMERIC(18,2), "
    "health_score__c NUMERIC(18,2), ownerid VARCHAR, company_type__c VARCHAR, csm_lookup__c VARCHAR, "
    "zendesk__zendesk_organization_id__c VARCHAR, " + SF_SYSTEM,
    "orgm.opportunity": "sfid VARCHAR, name VARCHAR, accountid VARCHAR, iswon BOOLEAN, isclosed BOOLEAN, "
    "closedate DATE, type VARCHAR, stagename VARCHAR, amount NUMERIC(18,2), probability NUMERIC(5,2), "
    "forecastcategoryname VARCHAR, expectedrevenue NUMERIC(18,2), ownerid VARCHAR, license_key__c VARCHAR, "
    "arr_contributed__c NUMERIC(18,2), renewal_risk_status__c VARCHAR, csm_owner__c VARCHAR, "
    "status_wlo__c VARCHAR, " + SF_SYSTEM,
    "orgm.opportunitylineitem": "sfid VARCHAR, name VARCHAR, opportunityid VARCHAR, product2id VARCHAR, "
    "product_type__c VARCHAR, product_line_type__c VARCHAR, revenue_type__c VARCHAR, description VARCHAR, "
    "listprice NUMERIC(18,2), unitprice NUMERIC(18,2), discount NUMERIC(18,2), quantity NUMERIC(18,2), "
    "totalprice NUMERIC(18,2), start_date__c DATE, end_date__c DATE, arr_contributed__c NUMERIC(18,2), " + SF_SYSTEM,
    "orgm.contact": "sfid VARCHAR, email VARCHAR, accountid VARCHAR, " + SF_SYSTEM,
    "orgm.user": "sfid VARCHAR, lastname VARCHAR, system_type__c VARCHAR, " + SF_SYSTEM,
    "orgm.task": "sfid VARCHAR, accountid VARCHAR, createdbyid VARCHAR, subject VARCHAR, status VARCHAR, "
    "type VARCHAR, activitydate DATE, " + SF_SYSTEM,
    "orgm.delete_history__c": "sfid VARCHAR, object_id__c VARCHAR, " + SF_SYSTEM,
    "ga_docs.report": "date DATE, pagepath VARCHAR, pageviews BIGINT, users BIGINT, _sdc_batched_at TIMESTAMP",
}

_request_ids = itertools.count(1)


def loaded(day: int, hour: int = 3) -> dt.datetime:
    return dt.datetime(2020, 2, day, hour)


# --- CloudFront -------------------------------------------------------------------------------------------


def cloudfront(logdate: str, logtime: str, uri: str, query: str = "-", **fields: str) -> dict[str, str]:
    row = dict.fromkeys(CLOUDFRONT_COLUMNS, "-")
    row.update(
        logdate=logdate,
        logtime=logtime,
        uri=uri,
        cs_uri_query=query,
        edge="FRA2-C1",
        bytessent="498",
        cip="198.51.100.23",
        method="GET",
        status="200",
        useragent="Go-http-client/1.1",
        x_edge_request_id=f"req{next(_request_ids):06d}",
    )
    row.update(fields)
    return row


def security_query(**params: str) -> str:
    """The query string as CloudFront logs it: Go's sorted url.Values.Encode(), then '%' encoded once more."""
    return urlencode(sorted(params.items())).replace("%", "%25")


S1, S2, S3, S4 = "q8pz3ks1xbgm7c9ytd4wn5oehr", "s2aaaaaaaaaaaaaaaaaaaaaaaa", "s3bbbbbbbbbbbbbbbbbbbbbbbb", "s4cc"
PROD = {"b": "5.19.0.5.19.0", "be": "true", "db": "postgres", "os": "linux", "tc": "2", "ut": "0"}


def security_rows() -> list[tuple[dict[str, str], dt.datetime]]:
    """(row, loaded_at) for raw.diagnostics.log_entries."""
    first = cloudfront("2020-02-03", "04:27:10", "/security", security_query(**PROD, id=S1, auc="41", uc="88"))
    rows = [
        first,
        dict(first),  # the same line loaded twice (e.g. from the second distribution's copy)
        cloudfront(
            "2020-02-03",
            "15:02:00",
            "/security",
            security_query(**PROD, id=S1, auc="45", uc="90"),
            cip="198.51.100.99",
            edge="IAD89-C2",
        ),
        cloudfront("2020-02-04", "09:00:00", "/security", security_query(**PROD, id=S1, auc="40", uc="90")),
        # a value holding an encoded '&' and '=': only decode-once-then-parse gets it right
        cloudfront(
            "2020-02-04",
            "10:00:00",
            "/security",
            security_query(**{**PROD, "os": "linux&arm=64", "tc": "x9"}, id=S3, auc="7", uc="9"),
        ),
        # more active users than users: dropped from the active-user counts
        cloudfront("2020-02-04", "11:00:00", "/security", security_query(**PROD, id=S2, auc="10", uc="5")),
        cloudfront("2020-02-05", "11:00:00", "/security", security_query(**PROD, id=S2, auc="3", uc="20")),
        # no auc at all: 0 active users; the second line differs only by an absent ut=0, so it is the same check
        cloudfront("2020-02-05", "12:00:00", "/security", security_query(**PROD, id=S4, uc="5")),
        cloudfront("2020-02-05", "12:00:00", "/security", security_query(**{**PROD, "ut": ""}, id=S4, uc="5", auc="x")),
        # dev build, test run, malformed version, missing id, excluded server
        cloudfront(
            "2020-02-05",
            "13:00:00",
            "/security",
            security_query(**{**PROD, "b": "5.20.0.dev._BUILD_NUMBER_"}, id="devbuild", auc="5", uc="5"),
        ),
        cloudfront(
            "2020-02-05",
            "13:00:00",
            "/security",
            security_query(**{**PROD, "ut": "1"}, id="testrun", auc="5", uc="5"),
        ),
        cloudfront(
            "2020-02-05",
            "13:00:00",
            "/security",
            security_query(**{**PROD, "b": "5.20.0"}, id="badversion", auc="5", uc="5"),
        ),
        cloudfront("2020-02-05", "13:00:00", "/security", security_query(**PROD, auc="5", uc="5")),
        cloudfront("2020-02-05", "13:00:00", "/security", security_query(**PROD, id=EXCLUDED_SERVER, auc="5", uc="5")),
        # the run date is not a complete day yet
        cloudfront("2020-02-06", "01:00:00", "/security", security_query(**PROD, id=S1, auc="99", uc="99")),
        # not a security check
        cloudfront("2020-02-05", "13:00:00", "/other", security_query(**PROD, id="other", auc="5", uc="5")),
        cloudfront("2020-02-05", "13:00:00", "/security", "-"),
    ]
    return [(row, loaded(int(row["logdate"][-2:]) + 1)) for row in rows]


# A late security check for a day the incremental models have already built (beyond the lookback window).
LATE_SECURITY_ROW = cloudfront("2020-02-01", "08:00:00", "/security", security_query(**PROD, id=S2, auc="12", uc="30"))


def release_rows() -> list[tuple[dict[str, str], dt.datetime]]:
    team = "/5.20.1/mattermost-team-5.20.1-linux-amd64.tar.gz"
    enterprise = "/5.20.1/mattermost-5.20.1-linux-amd64.tar.gz"
    ten = "/10.1.0/mattermost-team-10.1.0-linux-amd64.tar.gz"
    desktop = "/desktop/4.4.0/mattermost-desktop-"
    full, big = "100000000", "120000000"
    rows = [cloudfront("2020-02-03", f"10:00:{i:02d}", team, bytessent=full) for i in range(9)]
    duplicate = cloudfront("2020-02-03", "10:30:00", team, bytessent=full)
    rows += [
        duplicate,
        dict(duplicate),  # loaded twice: same request id
        cloudfront("2020-02-03", "11:00:00", team, bytessent="10000000"),  # partial: far below the URI mean
        cloudfront("2020-02-03", "11:00:01", team, bytessent="500000"),  # under 1 MB
        cloudfront("2020-02-03", "11:00:02", team, bytessent=full, status="404"),
        cloudfront(
            "2020-02-03",
            "12:00:00",
            enterprise,
            bytessent=big,
            creferrer="https://mattermost.com/download/",
            x_edge_request_id="enterprise-1",
        ),
        cloudfront("2020-02-04", "12:00:00", enterprise, bytessent=big),
        cloudfront("2020-02-04", "12:00:01", enterprise, bytessent=big),
        cloudfront("2020-02-04", "13:00:00", ten, bytessent=big),
        cloudfront("2020-02-04", "14:00:00", desktop + "setup-4.4.0-win.exe", bytessent="80000000"),
        cloudfront("2020-02-04", "14:00:01", desktop + "setup-4.4.0-win.exe", bytessent="80000000"),
        cloudfront("2020-02-04", "14:00:02", desktop + "4.4.0-x64.msi", bytessent="80000000"),
        cloudfront("2020-02-04", "14:00:03", desktop + "4.4.0-mac.dmg", bytessent="90000000"),
        cloudfront("2020-02-04", "14:00:04", desktop + "4.4.0-linux-x64.tar.gz", bytessent="70000000"),
        cloudfront("2020-02-04", "15:00:00", "/index.html", bytessent="2000000"),
    ]
    return [(row, loaded(int(row["logdate"][-2:]) + 1)) for row in rows]


# --- ALB push proxy ---------------------------------------------------------------------------------------


def alb(time: str, request: str, status: str = "200") -> dict[str, str]:
    row = dict.fromkeys(ALB_COLUMNS, "-")
    row.update(type="https", requesttime=time, elb_status_code=status, target_status_code=status, request=request)
    return row


SEND = "POST https://push.mattermost.com:443/api/v1/send_push HTTP/1.1"
ACK = "POST https://push.mattermost.com:443/api/v1/ack HTTP/1.1"
PUSH_ROWS = {
    "logs": [
        alb("2020-02-03T11:42:07.551203Z", SEND),
        alb("2020-02-03T11:50:00.000000Z", SEND),
        alb("2020-02-03T11:59:59.999999Z", ACK),
        alb("2020-02-03T12:00:00.000001Z", SEND),
        alb("2020-02-03T12:10:00.000000Z", SEND, status="500"),
        alb("2020-02-03T12:11:00.000000Z", "GET https://push.mattermost.com:443/api/v1/send_push HTTP/1.1"),
        alb("2020-02-03T12:12:00.000000Z", "-"),
        alb("2020-02-03T12:13:00.000000Z", "POST https://push.mattermost.com:443/api/v1/ack"),
        alb("2020-02-03T12:14:00.000000Z", "POST https://push.mattermost.com:443/api/v1/ack HTTP/1.0 "),  # as seen
    ],
    "test_logs": [alb("2020-02-03T11:00:00.000000Z", ACK)],
    "de_logs": [alb("2020-02-04T23:59:00.000000Z", SEND), alb("2020-02-04T23:59:30.000000Z", ACK)],
}

# --- license exports --------------------------------------------------------------------------------------

MS_2020 = 1577836800000  # 2020-01-01T00:00:00Z
MS_2021 = 1609459199000  # 2020-12-31T23:59:59Z
LICENSE_SNAPSHOTS = {
    "2020-02-04/licenses-2020-02-04.csv": [
        ["cus_1", "Example Corp", "1", "ops@example.com", "cus_s1", "l1llllllllllllllllllllllll", MS_2020, MS_2021],
        ["cus_2", "Foo - Trial", "1", "it@foo.test", "cus_s2", "l2llllllllllllllllllllllll", MS_2020, MS_2020],
    ],
    "2020-02-05/licenses-2020-02-05.csv": [
        ["cus_1", "Example Corp Ltd", "1", "ops@example.com", "cus_s1", "l1llllllllllllllllllllllll", MS_2020, MS_2021],
    ],
}

# --- Segment ----------------------------------------------------------------------------------------------


def segment(user_id: str, ts: str, **fields: object) -> dict[str, object]:
    stamp = dt.datetime.fromisoformat(ts)
    return {
        "id": f"evt{next(_request_ids)}",
        "user_id": user_id,
        "timestamp": stamp,
        "received_at": stamp + dt.timedelta(minutes=1),
        **fields,
    }


SERVER_TELEMETRY = [
    segment(S1, "2020-02-03 01:00:00", version="5.19.0", edition="true", system_admins=1),
    segment(S1, "2020-02-03 09:00:00", version="5.19.1", edition="true", system_admins=2),
    segment("s5telemetryonlyyyyyyyyyyyy", "2020-02-04 09:00:00", version="5.18.0", edition="false"),
]
LICENSE_TELEMETRY = [
    segment(S1, "2020-02-03 09:00:00", license_id="l1llllllllllllllllllllllll", users=100, issued=MS_2020,
            _start=MS_2020, expire=MS_2021),
]  # fmt: skip
NPS_SCORES = [
    segment(S1, "2020-02-03 10:00:00", server_id=S1, user_actual_id="u1", score=6),
    segment(S1, "2020-02-03 12:00:00", server_id=S1, user_actual_id="u1", score=9),
    segment(S1, "2020-02-04 12:00:00", server_id=S1, user_actual_id="u1", score=3),
    segment(S1, "2020-02-03 12:00:00", server_id=S1, user_actual_id="u2", score=7),
]
NPS_FEEDBACK = [segment(S1, "2020-02-03 12:01:00", server_id=S1, user_actual_id="u1", feedback="great")]

# --- Salesforce -------------------------------------------------------------------------------------------

STAMP = dt.datetime(2020, 2, 5, 12)
ACCOUNTS = [
    # sfid, parentid, type, isdeleted
    ("M1", None, "Customer", False),
    ("A1", "M1", "Customer", False),
    ("A2", "M1", "Customer", False),
    ("A3", None, "Customer", False),
    ("A4", None, "Customer", True),
    ("A5", None, "Customer", False),  # deleted in Salesforce, recorded only in delete_history__c
]
OPPORTUNITIES = [
    # sfid, accountid, iswon, isclosed, renewal_risk_status__c
    ("O1", "A1", True, True, None),
    ("O2", "A1", True, True, None),
    ("O3", "A2", True, True, None),
    ("O4", "A3", True, True, None),
    ("O5", "A3", False, True, None),
    ("O6", "A2", True, True, None),
    ("O7", "A5", True, True, None),
    ("O8", "A1", True, True, None),  # won without line items: a data error
    ("O9", "A3", False, False, "At Risk"),
]
D = dt.date
LINE_ITEMS = [
    # sfid, opportunityid, product_type__c, totalprice, start, end
    ("LI1", "O1", "Recurring", "12000.00", D(2020, 1, 1), D(2020, 12, 31)),  # 366 days, P on each
    ("LI2", "O1", "One-time", "500.00", D(2020, 1, 1), D(2020, 12, 31)),
    ("LI3", "O2", "Recurring", "15000.00", D(2021, 1, 1), D(2021, 12, 31)),
    ("LI4", "O3", "Recurring", "6000.00", D(2019, 7, 1), D(2020, 6, 30)),  # one year across 29 Feb 2020
    ("LI5", "O4", "Recurring", "20000.00", D(2019, 3, 15), D(2021, 3, 14)),  # two years, one leap day
    ("LI6", "O4", "Recurring", "8000.00", D(2021, 6, 1), D(2022, 5, 31)),
    ("LI7", "O5", "Recurring", "9000.00", D(2020, 1, 1), D(2020, 12, 31)),  # lost
    ("LI8", "O6", "Recurring", "100.00", D(2020, 3, 10), D(2020, 3, 10)),  # zero-length term
    ("LI9", "O6", "Recurring", "3000.00", D(2020, 3, 10), D(2020, 9, 9)),
    ("LI10", "O7", "Recurring", "7000.00", D(2020, 1, 1), D(2020, 12, 31)),  # account deleted
    ("LI11", "O1", "Recurring", "4000.00", D(2020, 1, 1), D(2020, 12, 31)),  # line item deleted
    ("LI12", "O3", "Recurring", "1000.00", D(2020, 5, 1), D(2020, 4, 1)),  # ends before it starts
]
DELETED_IDS = ["A5", "LI11"]
USERS = [("U1", "Smith"), ("U2", "Marketo")]
TASKS = [
    # sfid, accountid, createdbyid, activitydate
    ("T1", "A1", "U1", D(2020, 1, 20)),
    ("T2", "A2", "U2", D(2020, 2, 1)),
    ("T3", "A3", "U1", D(2019, 10, 1)),
]
CONTACTS = [("C1", "ops@example.com", "A1"), ("C2", "not-an-email", "A1")]
GA_DOCS = [(D(2020, 2, 3), "/install", 10, 4), (D(2020, 2, 4), "/install", 6, 4)]


def salesforce_row(sfid: str, deleted: bool = False) -> dict[str, object]:
    return {"sfid": sfid, "systemmodstamp": STAMP, "createddate": STAMP, "isdeleted": deleted}


def build_raw(path: Path) -> None:
    """Create raw.duckdb at `path` with every raw table and the rows above."""
    con = duckdb.connect(str(path))
    try:
        for table, columns in DDL.items():
            con.execute(f"create schema if not exists {table.split('.')[0]}")
            con.execute(f"create table {table} ({columns})")
        insert_load(con, "diagnostics.log_entries", security_rows(), "diagnostics")
        insert_load(con, "releases.log_entries", release_rows(), "releases")
        for table, rows in PUSH_ROWS.items():
            insert_load(con, f"push_proxy.{table}", [(row, loaded(5)) for row in rows], table)
        for file, rows in LICENSE_SNAPSHOTS.items():
            license_rows = [(dict(zip(LICENSE_COLUMNS, map(str, r), strict=True)), loaded(6)) for r in rows]
            insert_load(con, "licenses.licenses", license_rows, file)
        insert(con, "mattermost2.server", SERVER_TELEMETRY)
        insert(con, "mattermost2.license", LICENSE_TELEMETRY)
        insert(con, "mattermost_nps.nps_score", NPS_SCORES)
        insert(con, "mattermost_nps.nps_feedback", NPS_FEEDBACK)
        insert(
            con,
            "orgm.account",
            [{**salesforce_row(s, deleted), "name": s, "parentid": p, "type": t} for s, p, t, deleted in ACCOUNTS],
        )
        insert(
            con,
            "orgm.opportunity",
            [
                {**salesforce_row(s), "accountid": a, "iswon": won, "isclosed": closed, "renewal_risk_status__c": r}
                for s, a, won, closed, r in OPPORTUNITIES
            ],
        )
        insert(
            con,
            "orgm.opportunitylineitem",
            [
                {
                    **salesforce_row(s),
                    "opportunityid": o,
                    "product_type__c": pt,
                    "totalprice": Decimal(p),
                    "start_date__c": start,
                    "end_date__c": end,
                }
                for s, o, pt, p, start, end in LINE_ITEMS
            ],
        )
        insert(
            con,
            "orgm.delete_history__c",
            [{**salesforce_row(f"DH{i}"), "object_id__c": o} for i, o in enumerate(DELETED_IDS)],
        )
        insert(con, "orgm.user", [{**salesforce_row(s), "lastname": n} for s, n in USERS])
        insert(
            con,
            "orgm.task",
            [{**salesforce_row(s), "accountid": a, "createdbyid": u, "activitydate": d} for s, a, u, d in TASKS],
        )
        insert(con, "orgm.contact", [{**salesforce_row(s), "email": e, "accountid": a} for s, e, a in CONTACTS])
        insert(
            con,
            "ga_docs.report",
            [
                {"date": d, "pagepath": p, "pageviews": v, "users": u, "_sdc_batched_at": STAMP}
                for d, p, v, u in GA_DOCS
            ],
        )
    finally:
        con.close()


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, object]]) -> None:
    for row in rows:
        columns = ", ".join(row)
        con.execute(f"insert into {table} ({columns}) values ({', '.join('?' for _ in row)})", list(row.values()))


def insert_load(
    con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple[dict[str, str], dt.datetime]], file: str
) -> None:
    """Insert rows as a load task would: with their source file, ordinal and load time."""
    insert(con, table, [{**row, "_file": file, "_row": i, "_loaded_at": at} for i, (row, at) in enumerate(rows, 1)])
