"""Push-proxy load balancer access logs (devdata.alb): names, fields and dirt."""

from __future__ import annotations

from collections import Counter

from devdata import AWS_ACCOUNT_ID
from devdata.generate import Dataset
from tests.devdata.conftest import ALB_NAME, ALB_TOKEN, files_under, positions, text


def test_push_proxy_logs(dataset: Dataset) -> None:
    malformed = positions(dataset.dirt.malformed_lines)
    statuses, paths = Counter(), Counter()
    for f in files_under(dataset, "push_proxy/"):
        name = ALB_NAME.match(f.key)
        assert name and name["acct"] == AWS_ACCOUNT_ID, f.key
        assert (name["lb_prefix"], name["region"], name["lb"]) in {
            ("us", "us-east-1", "push-proxy"), ("test", "us-east-1", "push-proxy-test"),
            ("de", "eu-central-1", "push-proxy-de")}
        for n, line in enumerate(text(f).splitlines(), start=1):
            fields = ALB_TOKEN.findall(line)
            assert (len(fields) == 25) != ((f.key, n) in malformed)
            assert fields[1].startswith(f"{name['y']}-{name['m']}-{name['d']}T")
            if len(fields) == 25:
                method, url, version = fields[12].strip('"').split(" ")
                assert method == "POST" and version == "HTTP/1.1"
                paths[url.rsplit(":443", 1)[1]] += 1
                statuses[fields[8][0]] += 1
                assert fields[13] == '"Go-http-client/1.1"' and fields[22:] == ['"forward"', '"-"', '"-"']
    assert set(paths) == {"/api/v1/send_push", "/api/v1/ack"}
    assert statuses["2"] > 5 * (statuses["4"] + statuses["5"]) > 0
    assert {p for p in malformed if p[0].startswith("push_proxy/")}
