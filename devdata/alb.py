"""Push-proxy Application Load Balancer access logs (fields: docs/warehouse-layout.md, raw.push_proxy.*)."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from devdata.logfiles import Line, LogFile, inject_malformed, render
from devdata.model import DirtOptions, DirtRecord, LandingFile, at, epoch_ms, hex_id, seeded
from devdata.world import World

AWS_ACCOUNT_ID = "111122223333"


@dataclass(frozen=True)
class Balancer:
    prefix: str  # landing prefix of this load balancer's logs
    region: str
    name: str
    lb_id: str
    domain: str
    traffic: float  # share of the US balancer's requests
    nodes: tuple[str, ...]  # the balancer nodes' addresses, part of each file name

    @property
    def log_prefix(self) -> str:
        return f"{self.prefix}/AWSLogs/{AWS_ACCOUNT_ID}/elasticloadbalancing/{self.region}"

    @property
    def target_group(self) -> str:
        return f"arn:aws:elasticloadbalancing:{self.region}:{AWS_ACCOUNT_ID}:targetgroup/{self.name}/{self.lb_id[::-1]}"

    @property
    def certificate(self) -> str:
        cert = f"{self.lb_id[:8]}-5c1d-4a8e-9f3b-{self.lb_id[4:]}"
        return f"arn:aws:acm:{self.region}:{AWS_ACCOUNT_ID}:certificate/{cert}"


BALANCERS = (
    Balancer("push_proxy/us", "us-east-1", "push-proxy", "8c1f0a9e3b7d2e41", "push.mattermost.com", 1.0,
             ("52.4.17.201", "34.196.88.12")),
    Balancer("push_proxy/test", "us-east-1", "push-proxy-test", "3e9d5b7a1c2f4e60", "push-test.mattermost.com", 0.05,
             ("3.208.41.77",)),
    Balancer("push_proxy/de", "eu-central-1", "push-proxy-de", "f04a6c2e8b1d3957", "hpns-de.mattermost.com", 0.3,
             ("18.194.20.9", "3.120.88.140")),
)


def alb_key(lb: Balancer, end: datetime, node: str, suffix: str) -> str:
    stamp = end.strftime("%Y%m%dT%H%MZ")
    name = f"{AWS_ACCOUNT_ID}_elasticloadbalancing_{lb.region}_app.{lb.name}.{lb.lb_id}_{stamp}_{node}_{suffix}.log.gz"
    return f"{lb.log_prefix}/{end:%Y/%m/%d}/{name}"


def push_proxy_files(world: World, seed: int, dirt: DirtOptions, record: DirtRecord, per_day: int) -> list[LandingFile]:
    """`per_day` requests a day on the US balancer, fewer on TEST and DE; one file per hour and node."""
    rng = seeded(seed, "push_proxy")
    clients = [s.ip for s in world.servers]
    files = []
    for lb in BALANCERS:
        for day in world.window():
            lines = []
            for _ in range(max(1, round(per_day * lb.traffic))):
                moment = at(day, rng.uniform(0, 86399.999))
                lines.append((moment, rng.choice(lb.nodes), push_line(rng, lb, moment, rng.choice(clients))))
            files += _hourly_files(rng, lb, day, lines)
    inject_malformed(rng, files, dirt.malformed_lines)
    return render(files, " ", record)


def _hourly_files(rng: random.Random, lb: Balancer, day: date,
                  lines: list[tuple[datetime, str, Line]]) -> list[LogFile]:
    # Real balancers write every 5 minutes; an hour per file keeps the sample small. The name carries the last
    # 5-minute mark of the hour so every file stays in its day's folder.
    buckets: dict[tuple[int, str], list[Line]] = defaultdict(list)
    for moment, node, line in sorted(lines, key=lambda item: item[0]):
        buckets[(moment.hour, node)].append(line)
    files = []
    for (hour, node), bucket in sorted(buckets.items()):
        end = at(day, hour * 3600 + 55 * 60)
        files.append(LogFile(alb_key(lb, end, node, "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=8))),
                             bucket))
    return files


def push_line(rng: random.Random, lb: Balancer, moment: datetime, client: str) -> Line:
    """One request: mostly 200, some 4xx from the proxy, some 5xx/460 where no target answered."""
    path = "/api/v1/send_push" if rng.random() < 0.62 else "/api/v1/ack"
    received = rng.randint(600, 1200) if path.endswith("send_push") else rng.randint(250, 400)
    target = f"10.0.{rng.randint(1, 3)}.{rng.randint(10, 40)}:8066"
    roll = rng.random()
    if roll < 0.93:
        status, target_status, sent, took = "200", "200", rng.randint(150, 220), rng.uniform(0.003, 0.4)
    elif roll < 0.97:
        status, target_status, sent, took = "400", "400", rng.randint(180, 260), rng.uniform(0.002, 0.05)
    else:
        status = rng.choice(["502", "503", "504", "460"])
        target, target_status, sent, took = "-", "-", 0 if status == "460" else rng.randint(270, 320), -1.0
    times = ["-1", "-1", "-1"] if took < 0 else ["0.000", f"{took:.3f}", "0.000"]
    created = moment - timedelta(seconds=max(took, 0) + rng.uniform(0, 0.002))
    trace = f"Root=1-{epoch_ms(created) // 1000:08x}-{hex_id(rng, 24)}"
    fields = [
        "https", _stamp(moment), f"app/{lb.name}/{lb.lb_id}", f"{client}:{rng.randint(1024, 65535)}", target,
        *times, status, target_status, str(received), str(sent), f'"POST https://{lb.domain}:443{path} HTTP/1.1"',
        '"Go-http-client/1.1"', "ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.2", lb.target_group, f'"{trace}"',
        f'"{lb.domain}"', f'"{lb.certificate}"', "0", _stamp(created), '"forward"', '"-"', '"-"',
    ]
    return Line(fields)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
