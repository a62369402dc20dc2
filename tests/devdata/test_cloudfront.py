"""CloudFront access logs (devdata.cloudfront): security-update checks and release downloads, their names,
headers, fields and dirt, and the files that land late."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import parse_qsl, unquote

import pytest

from devdata.generate import Dataset
from tests.devdata.conftest import CLOUDFRONT_NAME, DAYS, cloudfront_rows, files_under, positions, text

SECURITY_KEYS = ["auc", "b", "be", "db", "id", "os", "tc", "uc", "ut"]


@pytest.mark.parametrize("prefix", ["diagnostics/", "releases/"])
def test_cloudfront_names_headers_and_field_counts(dataset: Dataset, prefix: str) -> None:
    for f in files_under(dataset, prefix):
        name = CLOUDFRONT_NAME.match(f.key)
        assert name and f.key.split("/")[1] == name["dist"], f.key
        lines = text(f).splitlines()
        assert lines[0] == "#Version: 1.0" and lines[1].startswith("#Fields: date time x-edge-location ")
        assert len(lines[1].split()) - 1 in (26, 33)
    malformed, wide = positions(dataset.dirt.malformed_lines), positions(dataset.dirt.wide_lines)
    rows = cloudfront_rows(dataset, prefix)
    for f, n, fields in rows:
        name = CLOUDFRONT_NAME.match(f.key)
        assert fields[0] == f"{name['y']}-{name['m']}-{name['d']}" and fields[1][:2] == name["h"]
        expected = 33 if (f.key, n) in wide else 26
        assert (len(fields) == expected) != ((f.key, n) in malformed), (f.key, n, len(fields))
    assert {p for p in malformed if p[0].startswith(prefix)} and {p for p in wide if p[0].startswith(prefix)}


def test_security_checks(dataset: Dataset) -> None:
    dirt = dataset.dirt
    malformed, double = positions(dirt.malformed_lines), positions(dirt.double_encoded_lines)
    checks: Counter[tuple[str, str]] = Counter()
    for f, n, fields in cloudfront_rows(dataset, "diagnostics/"):
        if (f.key, n) in malformed:
            continue
        assert fields[7] == "/security" and fields[10] == "Go-http-client/1.1" and fields[12] == "-"
        query = fields[11]
        if (f.key, n) in double:
            assert "%253D" in query and "=" not in query
            query = unquote(unquote(query))
        params = dict(parse_qsl(query))
        assert list(params) == SECURITY_KEYS
        checks[(params["id"], fields[0])] += 1
        server = params["id"]
        assert ("_BUILD_NUMBER_" in params["b"]) == (server in dirt.dev_servers)
        assert (params["ut"] == "1") == (server in dirt.test_servers)
        assert (int(params["uc"]) < int(params["auc"])) == (server in dirt.uc_below_auc_servers)
    assert len(double) == 3 and len(dirt.dev_servers) == len(dirt.test_servers) == 2
    twice = {(s, d.isoformat()) for s, d in dirt.duplicate_pings}
    assert twice and {k for k, v in checks.items() if v == 2} == twice and max(checks.values()) == 2
    expected = sum(DAYS - s.first_day for s in dataset.world.servers) + len(twice)
    assert sum(checks.values()) == expected  # every server once a day from its first day, late files included


def test_release_downloads(dataset: Dataset) -> None:
    malformed, partial = positions(dataset.dirt.malformed_lines), positions(dataset.dirt.partial_downloads)
    statuses = Counter()
    for f, n, fields in cloudfront_rows(dataset, "releases/"):
        if (f.key, n) in malformed:
            continue
        uri, status, sent = fields[7], fields[8], int(fields[3])
        statuses[status] += 1
        assert re.match(r"^/(\d+\.\d+\.\d+/mattermost-|desktop/\d+\.\d+\.\d+/mattermost-desktop)", uri), uri
        if (f.key, n) in partial:
            assert status == "206" or fields[13] == "Error"
        elif status == "200":
            assert sent > 1_000_000
    assert statuses["200"] > statuses["206"] > 0 and statuses["404"] > 0
    assert len(partial) == 4 * DAYS


def test_late_files(dataset: Dataset) -> None:
    late = [f for f in dataset.files if f.late]
    assert sorted(f.key for f in late) == sorted(dataset.dirt.late_files)
    per_location_day = Counter((m["dist"], m["d"]) for m in (CLOUDFRONT_NAME.match(f.key) for f in late))
    assert set(per_location_day.values()) == {1} and len(per_location_day) == 3 * DAYS
