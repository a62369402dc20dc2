"""The corpus of log lines as AWS writes them (tests/tasks/extract/corpus.py) through the daily loads on the
embedded warehouse: each case's row, in the right columns at its line, or its reject with the line verbatim and
why; what the file selection leaves out; a bad line never holding back the other days of a batch."""

from __future__ import annotations

import gzip
from datetime import date, timedelta

from devdata import AWS_ACCOUNT_ID, RELEASE_LOCATION
from devdata.generate import generate
from devdata.model import DirtOptions
from targets.formats import ALB_COLUMNS, CLOUDFRONT_COLUMNS
from tasks.extract.sources import LoadPushProxyLogs, LoadReleaseLogs
from tests.conftest import ROOT, build
from tests.conftest import wh as query
from tests.tasks.conftest import SETTLED, land, ok
from tests.tasks.extract.corpus import ALB_CASES, CLOUDFRONT_FILES, Case

ALB_FOLDER = f"push_proxy/us/AWSLogs/{AWS_ACCOUNT_ID}/elasticloadbalancing/us-east-1"
ALB_NAME = (
    f"{AWS_ACCOUNT_ID}_elasticloadbalancing_us-east-1_app.push-proxy.8c1f0a9e3b7d2e41_{{day:%Y%m%d}}T0005Z_10.0.0.1_"
    "{tag}.log.gz"
)
CONN_LOG_LINE = (
    "2024-05-14T10:01:02.123456Z 198.51.100.7 40312 443 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 2.993 "
    '"CN=client.example.com" NotAfter=2025-05-14T10:01:02Z 06:8b:55:1b Success TID_0a1b2c3d'
)


def alb_key(day: date, tag: str, prefix: str = "") -> str:
    return f"{ALB_FOLDER}/{day:%Y/%m/%d}/{prefix}{ALB_NAME.format(day=day, tag=tag)}"


def write(root, key: str, lines: list[str]) -> str:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress("".join(f"{line}\n" for line in lines).encode()))
    return key


def check(table: str, name: str, cases: list[tuple[int, Case]], columns: tuple[str, ...]) -> None:
    """Every case at its line: the row it loads, or its reject (the line as written, and why)."""
    for line, case in cases:
        rows = query(f"SELECT {', '.join(columns)} FROM {table} WHERE _file = ? AND _row = ?", (name, line))
        rejects = query("SELECT raw_text, error FROM raw.pipeline.rejects WHERE file = ? AND line = ?", (name, line))
        if case.reject:
            assert not rows, case.id
            assert len(rejects) == 1 and rejects[0][0] == case.line, case.id
            assert rejects[0][1].startswith(case.reject), (case.id, rejects[0][1])
        else:
            assert not rejects, (case.id, rejects)
            assert len(rows) == 1, case.id
            got = dict(zip(columns, rows[0], strict=True))
            assert {c: got[c] for c in case.row} == case.row, case.id


def test_alb_access_log_entries(env, settings):
    settings.set("loading", "max_reject_share", 1.0)
    key = write(env / "landing", alb_key(SETTLED, "corpus"), [c.line for c in ALB_CASES])
    write(env / "landing", alb_key(SETTLED, "conn", prefix="conn_log_"), [CONN_LOG_LINE])
    task = LoadPushProxyLogs(date=SETTLED, region="us")
    task.run()
    name = key.removeprefix("push_proxy/us/")
    check("raw.push_proxy.logs", name, list(enumerate(ALB_CASES, start=1)), ALB_COLUMNS)
    # The connection log beside the access logs is neither loaded nor counted as rejects, and the run says so.
    assert query("SELECT DISTINCT _file FROM raw.push_proxy.logs") == [(name,)]
    assert query("SELECT DISTINCT file FROM raw.pipeline.load_history") == [(name,)]
    assert task.last_status_message.endswith(", 1 other file(s) in the prefix skipped")


def test_cloudfront_formats_load_into_the_same_columns(env, settings):
    settings.set("loading", "max_reject_share", 1.0)
    written = {}
    for hour, (file_id, (header, cases)) in enumerate(CLOUDFRONT_FILES.items()):
        head = ["#Version: 1.0", f"#Fields: {header}"] if header else []
        key = f"releases/{RELEASE_LOCATION}/{RELEASE_LOCATION}.{SETTLED}-{hour:02d}.{file_id.upper()}.gz"
        write(env / "landing", key, head + [c.line for c in cases])
        written[key.removeprefix("releases/")] = [(len(head) + i, c) for i, c in enumerate(cases, start=1)]
    LoadReleaseLogs(date=SETTLED).run()
    for name, cases in written.items():
        check("raw.releases.log_entries", name, cases, CLOUDFRONT_COLUMNS)


def test_lines_the_reader_refuses_are_rejects_and_the_lines_after_them_keep_their_numbers(env, settings):
    """A line that is not UTF-8, and one too long to be a log line."""
    settings.set("loading", "max_reject_share", 1.0)
    [good] = [c.line.encode() for c in ALB_CASES if c.id == "alb-http"]
    latin1 = good.replace(b"curl/7.46.0", b"curl/7.46.0 caf\xe9")
    long = good.replace(b"curl/7.46.0", b"x" * 2_100_000)
    key = alb_key(SETTLED, "refused")
    path = env / "landing" / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(b"\n".join([good, latin1, good, long, good]) + b"\n"))
    LoadPushProxyLogs(date=SETTLED, region="us").run()
    name = key.removeprefix("push_proxy/us/")
    assert query("SELECT _row FROM raw.push_proxy.logs ORDER BY _row") == [(1,), (3,), (5,)]
    rejects = query("SELECT line, raw_text, error FROM raw.pipeline.rejects WHERE file = ? ORDER BY line", (name,))
    assert [(line, text) for line, text, _ in rejects] == [(2, latin1.decode(errors="backslashreplace")),
                                                           (4, long.decode())]  # fmt: skip
    assert "ENCODING" in rejects[0][2] and "LINE SIZE" in rejects[1][2]


def test_an_unclosed_quote_is_one_reject_and_holds_back_no_day_of_the_batch(env):
    """DuckDB's CSV reader would stop the whole statement on a quote open at the end of a line (its parallel scanner
    and a quoted field running into the next lines): both days of the batch load and are marked, the bad lines
    kept."""
    other = SETTLED - timedelta(days=1)
    ds = generate(other, 1, 20, seed=5, dirt=DirtOptions.clean())
    land([f for f in ds.files if f.key.startswith(f"{ALB_FOLDER}/{other:%Y/%m/%d}/")], env / "landing")
    [good] = [c.line for c in ALB_CASES if c.id == "alb-http"]
    bad = [c.line for c in ALB_CASES if c.id in ("alb-quote-open-at-line-end", "alb-bad-timestamp")]
    key = write(env / "landing", alb_key(SETTLED, "bad"), [good] * 20_000 + bad + [good] * 20_000)
    days = [LoadPushProxyLogs(date=d, region="us") for d in (other, SETTLED)]
    assert ok(build(*days, detailed_summary=True))
    assert days[0].complete() and days[1].complete()
    name = key.removeprefix("push_proxy/us/")
    rejects = query("SELECT line, raw_text FROM raw.pipeline.rejects WHERE file = ? ORDER BY line", (name,))
    assert rejects == [(20_001, bad[0]), (20_002, bad[1])]
    assert query("SELECT count(*), max(_row) FROM raw.push_proxy.logs WHERE _file = ?", (name,)) == [(40_000, 40_002)]


def test_the_parity_table_lists_every_case():
    """docs/log-formats.md says how Snowflake's COPY handles each case of the corpus."""
    doc = (ROOT / "docs" / "log-formats.md").read_text()
    cases = ALB_CASES + [c for _, found in CLOUDFRONT_FILES.values() for c in found]
    assert [c.id for c in cases if f"`{c.id}`" not in doc] == []
