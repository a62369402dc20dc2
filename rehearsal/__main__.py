"""`python -m rehearsal` (`make rehearse`): production played on this machine (the package's docstring says how).

Exits 0 when every CronJob run exited 0, the second run of day 1 ran no task and left the marts as they were,
one digest was posted per day with its report published to S3, luigid saved its state, and the marts equal the
reference's row for row. Everything it makes is under data/rehearsal (the Secret file included: never committed).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import boto3
import yaml
from luigi.scheduler import scheduler

import devdata
from config.environments import REHEARSAL
from config.schedules import SCHEDULES
from config.settings import loading
from devdata.demo import SEED, SERVERS
from devdata.generate import Dataset, generate
from devdata.writers import write_files, write_postgres
from ops.engine import detect
from ops.manifests import AWS_ACCOUNTS
from rehearsal import reference, secret, standins
from rehearsal.clock import build_shift, first_tick, shifted_to
from rehearsal.days import Days, salesforce_edits, write_segment
from rehearsal.pods import Manifest, Node, Outcome, pod_spec
from rehearsal.results import Run, table

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "data" / "rehearsal"
OVERLAY = ROOT / "k8s" / "overlays" / REHEARSAL.name
WAREHOUSE_CLAIM = next(s.volume[0] for s in REHEARSAL.stand_ins if s.volume)
# What EKS gives a pod of an IRSA ServiceAccount is a web identity for the role; here: moto's address and keys.
DUMMY_KEYS = {"AWS_ACCESS_KEY_ID": "rehearsal", "AWS_SECRET_ACCESS_KEY": "rehearsal", "AWS_DEFAULT_REGION": "us-east-1"}
OWN_NETWORK = "REHEARSAL_OWN_NETWORK"  # set once the process runs in the rehearsal's network namespace
LOCK = ROOT / "data" / "rehearsal.lock"


def render() -> list[Manifest]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise RuntimeError("kubectl renders the rehearsal overlay (`kubectl kustomize`): install kubectl")
    out = subprocess.run([kubectl, "kustomize", str(OVERLAY)], capture_output=True, text=True, check=True).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def runner_differences(docs: list[Manifest]) -> list[str]:
    """How the pods run here unlike on a cluster: the rehearsal's own stand-ins, beside the overlay's."""
    roles = {d["metadata"]["annotations"].get("eks.amazonaws.com/role-arn") for d in docs
             if d["kind"] == "ServiceAccount" and d["metadata"]["name"] in AWS_ACCOUNTS}  # fmt: skip
    return [
        "the clock: each CronJob container's wall clock starts at its cron time on the rehearsed day "
        "(rehearsal/clock_shift.c, preloaded): two days cannot pass here",
        f"AWS: EKS would give the pods the IRSA role {', '.join(sorted(map(str, roles)))}; here the runner gives them "
        "moto's address and dummy keys (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...)",
        "the network: the rehearsal's own namespace (loopback only), which every container shares; the Service "
        "luigid is a hosts entry for 127.0.0.1",
        f"PersistentVolumeClaims are folders under {WORK.relative_to(ROOT)}/claims, with the kubelet's fsGroup "
        "ownership applied",
        "no service account token is mounted and imagePullPolicy Always is not honoured: no API server, no registry",
        "each CronJob runs once per rehearsed day, at its first tick, one after another; between two, the time luigid "
        "takes to let a worker go ([scheduler] worker_disconnect_delay), not hours",
    ]


def own_network() -> None:
    """Go on in a network namespace of the rehearsal's own, with only a loopback: luigid listens on the Deployment's
    port whatever else this machine runs, and nothing of the rehearsal is reachable from outside."""
    if os.environ.get(OWN_NETWORK) == "1":
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        return
    unshare = shutil.which("unshare")
    if unshare is None:
        raise RuntimeError("the rehearsal runs in a network namespace of its own: install util-linux (unshare)")
    os.execve(unshare, [unshare, "--net", "--", sys.executable, "-m", "rehearsal"], {**os.environ, OWN_NETWORK: "1"})


def one_at_a_time() -> IO[str]:
    """The rehearsal's lock, held while the returned file is open: a second rehearsal on the machine would wipe
    this one's folder and take its containers' names."""
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    held = LOCK.open("w")
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(f"another rehearsal is running on this machine (it holds {LOCK})") from None
    return held


def main() -> int:
    own_network()
    _lock = one_at_a_time()  # held until main returns
    started = time.monotonic()
    engine = detect()
    image = f"{REHEARSAL.image}:{REHEARSAL.tag}"
    if not engine.has_image(image):
        print(f"{engine.name} has no image {image}: run `make image` first", file=sys.stderr)
        return 1
    shutil.rmtree(WORK, ignore_errors=True)
    docs = render()
    print(f"Rehearsing {OVERLAY.relative_to(ROOT)} with {engine.name}. It differs from production:")
    for line in [s.line() for s in REHEARSAL.stand_ins] + runner_differences(docs):
        print(f"  - {line}")
    days = Days.ending_yesterday(loading().catchup_days)
    dataset = generate(days.first, days.count, SERVERS, SEED)
    print(f"Sample: {days.first}..{days.day2}, {SERVERS} servers; day 1 = {days.day1}, day 2 = {days.day2}")
    buckets = [url.removeprefix("s3://").split("/")[0] for url in (REHEARSAL.landing_url, REHEARSAL.reports_url)]
    with standins.s3(buckets) as s3_url, standins.postgres(WORK / "postgres") as dsn, standins.webhook() as hook:
        aws = {"AWS_ENDPOINT_URL": s3_url, **DUMMY_KEYS}
        os.environ.update(aws)  # this process lands the files through boto3 too
        secret.write(WORK / "secret.yaml", secret.values(dsn, hook.url))
        config_maps = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "ConfigMap"}
        node = Node(engine, WORK, config_maps, secret.read(WORK / "secret.yaml"), {"luigid": standins.HOST})
        write_postgres(dataset.orgm, dsn)
        standins.heroku_connect(dsn)
        write_segment(dataset, node.claim(WAREHOUSE_CLAIM))
        runs, marts_after = play(node, docs, days, dataset, dsn, aws)
        seen = Observations(runs, marts_after, hook.posts, hook.digests(), _published(s3_url),
                          (node.claim("luigid-state") / "state.pickle").exists())  # fmt: skip
        print("The reference: the same sources at once, one Pipeline run with a local scheduler (the demo's way)",
              flush=True)  # fmt: skip
        settings = _sections(tuple(setting for s in REHEARSAL.stand_ins for setting in s.settings))
        landed = [f for files in days.landings(dataset.files) for f in files]
        seen.reference, expected = reference.run(node, image, dataset, landed, dsn, days, settings,
                                                    devdata.LOCATIONS)  # fmt: skip
        if not seen.reference.exit_code:
            seen.differences = reference.differences(marts_after["day 2"], reference.marts(expected))
    print("\n" + table(runs) + "\n" + seen.summary())
    problems = seen.problems(days)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    print(f"rehearsal {'failed' if problems else 'passed'} in {(time.monotonic() - started) / 60:.1f} min")
    return 1 if problems else 0


def play(node: Node, docs: list[Manifest], days: Days, dataset: Dataset, dsn: str,
         aws: dict[str, str]) -> tuple[list[Run], dict[str, dict[str, Counter[str]]]]:  # fmt: skip
    """luigid serving, the days' data landing, and each day's CronJobs in cron order; the runs, and the marts after
    each day."""
    cronjobs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "CronJob" and not d["spec"].get("suspend")}
    (luigid,) = [d for d in docs if d["kind"] == "Deployment"]
    clock = build_shift(WORK / "clock")
    day1_files, day2_files = days.landings(dataset.files)
    runs: list[Run] = []
    marts_after: dict[str, dict[str, Counter[str]]] = {}
    apart, ended = scheduler().worker_disconnect_delay + 1, 0.0
    with node.serving("luigid", pod_spec(luigid)):
        for label, day, landing in (("day 1", days.day1, day1_files), ("day 1 again", days.day1, []),
                                    ("day 2", days.day2, day2_files)):  # fmt: skip
            if landing:  # a new day: its files, and its Salesforce activity
                write_files(landing, REHEARSAL.landing_url)
                salesforce_edits(dsn, day)
            runs_on = day + timedelta(days=1)
            print(f"{label}: {len(landing)} file(s) landed; the CronJobs of {runs_on}, in cron order")
            for at, name in in_cron_order(cronjobs, runs_on):
                # In production the ticks are hours apart: the scheduler has let the last pod's worker go (it would
                # otherwise keep the embedded warehouse's one slot for a task that worker had wanted).
                time.sleep(max(0.0, apart - (time.monotonic() - ended)))
                run = run_cronjob(node, cronjobs[name], label, at, clock, aws)
                ended = time.monotonic()
                runs.append(run)
                print(f"  {at:%H:%M} {name:<18} exit {run.outcome.exit_code} in {run.outcome.seconds:.0f} s "
                      f"({run.counts['run']} run, {run.counts['complete']} complete)", flush=True)  # fmt: skip
            marts_after[label] = reference.marts(node.claim(WAREHOUSE_CLAIM))
    return runs, marts_after


@dataclass
class Observations:
    """What the rehearsal saw, and what it checks."""

    runs: list[Run]
    marts_after: dict[str, dict[str, Counter[str]]]  # by pass
    posts: list[dict[str, Any]]
    digests: list[str]
    reports: list[str]  # file names published to [report] s3_url
    state_saved: bool
    reference: Outcome | None = None
    differences: list[str] = field(default_factory=list)

    def summary(self) -> str:
        ran = f"its run: {self.reference.seconds:.0f} s" if self.reference else "not run"
        return (f"{len(self.digests)} digest(s) posted, {len(self.reports)} report(s) published to "
                f"{REHEARSAL.reports_url}, {len(self.posts) - len(self.digests)} alert(s); marts: "
                f"{len(self.marts_after['day 2'])} relations compared with the reference's ({ran}); luigid state "
                f"{'saved' if self.state_saved else 'missing'}")  # fmt: skip

    def problems(self, days: Days) -> list[str]:
        found = [f"{r.rehearsed} {r.cronjob} exited {r.outcome.exit_code}: see {r.outcome.log}" for r in self.runs
                 if r.outcome.exit_code]  # fmt: skip
        found += [f"{r.rehearsed} {r.cronjob} ran {r.counts['run']} task(s): the second run of a day has nothing to do"
                  for r in self.runs if r.rehearsed == "day 1 again" and r.counts["run"]]  # fmt: skip
        if self.marts_after["day 1 again"] != self.marts_after["day 1"]:
            found.append("the second run of day 1 changed the marts")
        for day in (days.day1, days.day2):
            report = f"metrics-{day}.html"
            if (posted := sum(report in d for d in self.digests)) != 1:
                found.append(f"{posted} digest(s) posted for {day}, not one")
            if report not in self.reports:
                found.append(f"no report published for {day}")
        if not self.state_saved:
            found.append("luigid saved no state on SIGTERM")
        if self.reference is None or self.reference.exit_code:
            found.append(f"the reference run failed: see {self.reference.log if self.reference else '-'}")
        return found + [f"marts differ from the reference's: {line}" for line in self.differences]


def in_cron_order(cronjobs: dict[str, Manifest], day: date) -> list[tuple[datetime, str]]:
    """(first tick on ``day``, name) of each CronJob that fires that day; ties in the schedule table's order."""
    order = {s.name: i for i, s in enumerate(SCHEDULES)}
    ticks = [(tick, name) for name, job in cronjobs.items() if (tick := first_tick(job["spec"]["schedule"], day))]
    return sorted(ticks, key=lambda t: (t[0], order.get(t[1], len(order))))


def run_cronjob(node: Node, cronjob: Manifest, label: str, at: datetime, clock: Path, aws: dict[str, str]) -> Run:
    name = cronjob["metadata"]["name"]
    # A Job's name is its CronJob's and the scheduled minute; a second run of the same tick is a manual one.
    job = f"{name}-{int(at.replace(tzinfo=UTC).timestamp() // 60)}" + ("-again" if "again" in label else "")
    env, mounts = shifted_to(at, clock)
    deadline = cronjob["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"]
    return Run(label, name, at, node.run(job, pod_spec(cronjob), deadline, {**env, **aws}, mounts))


def _sections(settings: tuple[tuple[str, str, str], ...]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for section, option, value in settings:
        out.setdefault(section, {})[option] = value
    return out


def _published(endpoint: str) -> list[str]:
    bucket, _, prefix = REHEARSAL.reports_url.removeprefix("s3://").partition("/")
    listing = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [item["Key"].rsplit("/", 1)[-1] for item in listing.get("Contents", [])]


if __name__ == "__main__":
    sys.exit(main())
