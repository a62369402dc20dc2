"""The per-task Job runner (services.jobs), started by a RunInPod task, against a fake Kubernetes API server on
127.0.0.1. The server keeps the Jobs posted to it: it answers a POST with the posted Job plus the fields the API
server sets (uid, selector, defaults), and later GETs with that Job in the states a test scripts for it; 404, 409
and the DELETE answer come from that state. Pods, logs and events are hand-written API objects
(tests/fixtures/k8s/), tied to the Job's uid when served. Every object sent either way is checked against the
Kubernetes API schema of production's version."""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import jsonschema
import kubernetes_validate
import luigi
import pytest
from kubernetes_validate.utils import all_versions, major_minor, schema_contents
from referencing import Registry, Resource

from config.settings import kubernetes
from services import pods as k8s
from services.jobs import (
    TASK_POD_ENV,
    JobFailedError,
    KubernetesApiError,
    RunInPodError,
    job_manifest,
    job_name,
    label_value,
    pod_secrets,
    task_command,
)
from tasks.run_in_pod import RunInPod
from tests.conftest import CRUNCH_JOB as JOB
from tests.conftest import CRUNCHED as DONE
from tests.conftest import FIXTURES as ALL_FIXTURES
from tests.conftest import crunch_numbers as task

FIXTURES = ALL_FIXTURES / "k8s"
KUBERNETES_VERSION = "1.31"  # the EKS version in production
NS = "bizops"
JOB_PATH = f"/apis/batch/v1/namespaces/{NS}/jobs/{JOB}"
JOBS_PATH = f"/apis/batch/v1/namespaces/{NS}/jobs"
PODS_PATH = f"/api/v1/namespaces/{NS}/pods"
LOG_PATH = f"{PODS_PATH}/{JOB}-x7k2p/log"
EVENTS_PATH = f"/api/v1/namespaces/{NS}/events"
WORKER_POD = "daily-loads-29400180-x2v9k"
IMAGE = "registry.example.com/bizops-pipeline:0.1.0"
CONTROLLER_UID = "batch.kubernetes.io/controller-uid"


def fixture(name: str) -> Any:
    text = (FIXTURES / name).read_text()
    return json.loads(text) if name.endswith(".json") else text


def api_object(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj``, checked against the API schema of production's Kubernetes version (strict: no unknown field).
    Status and DeleteOptions are meta/v1 kinds, filed under meta in the schemas."""
    if obj.get("kind") not in ("Status", "DeleteOptions"):
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        return obj
    version = [v for v in all_versions() if major_minor(v) <= KUBERNETES_VERSION][-1]
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    schema = schema_contents(f"{folder}/{obj['kind'].lower()}-meta-v1.json", KUBERNETES_VERSION)
    definitions = schema_contents(f"{folder}/_definitions.json", KUBERNETES_VERSION)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    jsonschema.Draft202012Validator(schema, registry=registry).validate(obj)
    return obj


def status(code: int, reason: str, message: str) -> dict[str, Any]:
    """A Status object, as the API server answers a refused request about the Job."""
    details = {"name": JOB, "group": "batch", "kind": "jobs"}
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "details": details, "code": code}  # fmt: skip
    return api_object(body)


def job_status(name: str) -> dict[str, Any]:
    """A Job's status as the Job controller writes it (tests/fixtures/k8s/jobstatus_<name>.json); {} when new."""
    return fixture(f"jobstatus_{name}.json") if name != "created" else {}


# --- the fake API server -------------------------------------------------------------------------------------


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str


@dataclass
class FakeApi:
    """A Kubernetes API server's answers to the runner's calls.

    Jobs: created by POST (or ``admit``, a Job that some earlier run posted), each living through the states its
    ``lives`` entry names, one per GET (the last repeating); absent ones answer 404. Other paths: per (method,
    path) a list of (status, body) served in order, the last one repeating; a str body is streamed line by line
    as a chunked text/plain response (a followed log). ``outage`` makes calls to a path fail with a Status.
    """

    routes: dict[tuple[str, str], list[tuple[int, Any]]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    served: dict[tuple[str, str], int] = field(default_factory=dict)
    stall_first_stream_after: int | None = None  # lines; then the stream goes quiet until the client gives up
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # by name, as the API server stores them
    lives: list[list[str]] = field(default_factory=list)  # the states of each Job created, in creation order
    states: dict[str, Iterator[str]] = field(default_factory=dict)
    outages: dict[tuple[str, str], tuple[int, int, dict[str, Any]]] = field(default_factory=dict)
    posted_meanwhile: bool = False  # another worker posts the same Job just before this one does
    uids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    errors: list[str] = field(default_factory=list)  # unexpected calls, objects that fail the schema

    def on(self, method: str, path: str, *responses: tuple[int, Any]) -> None:
        self.routes[(method, path)] = list(responses)

    def outage(self, method: str, path: str, body: dict[str, Any], *, first: int = 0, count: int = 10**6) -> None:
        """Calls number ``first`` to ``first + count - 1`` (from 0) to this path answer ``body``, a Status."""
        self.outages[(method, path)] = (first, first + count, body)

    def calls_to(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.path == path]

    def admit(self, posted: dict[str, Any]) -> dict[str, Any]:
        """Store ``posted`` as the API server does: with the fields it sets, in the next life's first state."""
        job = copy.deepcopy(api_object(posted))
        uid = f"5f0c6a3e-8a7b-4c2d-9e1f-{next(self.uids):012d}"
        meta, spec = job["metadata"], job["spec"]
        meta.update(uid=uid, resourceVersion=str(48000 + len(self.calls)), generation=1,
                    creationTimestamp="2026-11-26T03:00:12Z")  # fmt: skip
        spec.setdefault("parallelism", 1)
        spec.setdefault("completions", 1)
        spec.update(selector={"matchLabels": {CONTROLLER_UID: uid}}, completionMode="NonIndexed", suspend=False,
                    podReplacementPolicy="TerminatingOrFailed")  # fmt: skip
        template = spec["template"]
        template["metadata"]["creationTimestamp"] = None
        template["metadata"]["labels"].update({CONTROLLER_UID: uid, "batch.kubernetes.io/job-name": meta["name"],
                                               "controller-uid": uid, "job-name": meta["name"]})  # fmt: skip
        pod = template["spec"]
        pod.setdefault("dnsPolicy", "ClusterFirst")
        pod.setdefault("schedulerName", "default-scheduler")
        pod.setdefault("terminationGracePeriodSeconds", 30)
        for container in pod["containers"]:
            container.setdefault("terminationMessagePath", "/dev/termination-log")
            container.setdefault("terminationMessagePolicy", "File")
        job["status"] = {}
        self.jobs[meta["name"]] = job
        life = self.lives.pop(0) if self.lives else ["created"]
        self.states[meta["name"]] = itertools.chain(life, itertools.repeat(life[-1]))
        return api_object(job)

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlparse(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length)) if length else None
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        key = (handler.command, url.path)
        self.calls.append(Call(handler.command, url.path, query, body, handler.headers.get("Authorization", "")))
        index = self.served.get(key, 0)
        self.served[key] = index + 1
        if key in self.outages and self.outages[key][0] <= index < self.outages[key][1]:
            self._send(handler, self.outages[key][2]["code"], self.outages[key][2])
        elif url.path.startswith(JOBS_PATH):
            self._send(handler, *self._jobs(handler.command, url.path, body))
        elif url.path == PODS_PATH:
            self._send(handler, 200, self._pods(query["labelSelector"], index))
        elif key in self.routes:
            code, payload = self.routes[key][min(index, len(self.routes[key]) - 1)]
            if isinstance(payload, str):
                stall = self.stall_first_stream_after if index == 0 else None
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                    self._stream(handler, payload, stall)
            else:
                self._send(handler, code, self._owned(payload))
        else:
            self.errors.append(f"unexpected {handler.command} {url.path}")
            self._send(handler, 404, status(404, "NotFound", f"the server could not find {url.path}"))

    def _jobs(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        name = path.rsplit("/", 1)[1] if path != JOBS_PATH else body["metadata"]["name"]
        if method == "POST":
            if self.posted_meanwhile:
                self.posted_meanwhile = False
                self.admit(body)
            if name in self.jobs:
                return 409, status(409, "AlreadyExists", f'jobs.batch "{name}" already exists')
            return 201, self.admit(body)
        if name not in self.jobs:
            return 404, status(404, "NotFound", f'jobs.batch "{name}" not found')
        job = self.jobs[name]
        if method == "DELETE":
            api_object(body)
            del self.jobs[name]
            return 200, api_object({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                    "details": {"name": name, "group": "batch", "kind": "jobs",
                                                "uid": job["metadata"]["uid"]}})  # fmt: skip
        job["status"] = job_status(next(self.states[name]))
        return 200, job

    def _pods(self, selector: str, index: int) -> dict[str, Any]:
        """The scripted pod list of the Job whose selector this is (its pods carry its uid); empty for any other."""
        pods = self.routes[("GET", PODS_PATH)]
        listed = copy.deepcopy(pods[min(index, len(pods) - 1)][1])
        job = self.jobs.get(JOB)
        if job is None or selector != f"{CONTROLLER_UID}={job['metadata']['uid']}":
            listed["items"] = []
        return self._owned(listed)

    def _owned(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Pods and events of the Job carry its uid."""
        uid = self.jobs[JOB]["metadata"]["uid"] if JOB in self.jobs else None
        text = json.dumps(payload)
        return json.loads(text.replace("5f0c6a3e-8a7b-4c2d-9e1f-2b3c4d5e6f70", uid) if uid else text)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, code: int, payload: dict[str, Any]) -> None:
        data = json.dumps(api_object(payload)).encode()
        handler.send_response(code)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def _stream(handler: BaseHTTPRequestHandler, text: str, stall: int | None) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for number, line in enumerate(text.splitlines(keepends=True)):
            if number == stall:
                time.sleep(1)  # longer than the client's read timeout
                handler.close_connection = True
                return
            data = line.encode()
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            handler.wfile.flush()
            time.sleep(0.005)  # lines arrive one by one, as from a running container
        handler.wfile.write(b"0\r\n\r\n")


@pytest.fixture
def api(tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    fake = FakeApi()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # log lines go out one small write each

        def do_GET(self) -> None:
            try:
                fake.respond(self)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (its timeout, on a busy machine)
                return
            except Exception as exc:  # e.g. an object that fails the schema: the test fails at teardown
                fake.errors.append(f"{self.command} {self.path}: {exc!r}")
                self.send_error(500)

        do_POST = do_DELETE = do_GET  # noqa: N815

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    token = tmp_path / "token"
    token.write_text("test-token\n")
    for option, value in {
        "run_in_pods": "true",
        "api_url": f"http://127.0.0.1:{server.server_address[1]}",
        "token_path": token,
        "namespace": NS,
        "pod_start_timeout_seconds": 5,
        "poll_seconds": 0.01,
        "request_timeout_seconds": 5,
    }.items():
        settings.set("kubernetes", option, value)
    settings.set("warehouse", "backend", "snowflake")
    monkeypatch.setenv(k8s.POD_NAME_ENV, WORKER_POD)
    monkeypatch.delenv(TASK_POD_ENV, raising=False)
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(5)
    assert all(c.authorization == "Bearer test-token" for c in fake.calls)
    assert not fake.errors, "\n".join(fake.errors)


def serve_job_run(api: FakeApi, job_states: list[str], pod_lists: list[str], log: str = "log_success.txt") -> None:
    """One Job's life: the states the Job posted passes through (jobstatus fixtures), its pods, its log."""
    if job_states:
        api.lives.append(job_states)
    api.on("GET", PODS_PATH, *[(200, fixture(p)) for p in pod_lists])
    api.on("GET", LOG_PATH, (200, fixture(log)))
    api.on("GET", f"{PODS_PATH}/{WORKER_POD}", (200, fixture("pod_worker.json")))
    api.on("GET", EVENTS_PATH, (200, fixture("eventlist_failedcreate.json")))


def earlier_job(api: FakeApi, states: list[str], task_id: str | None = None) -> None:
    """A Job of this name that an earlier run posted (for ``task_id``, by default the task's), in ``states``."""
    api.lives.insert(0, states)
    manifest = job_manifest(task(), cpu="2", memory="4Gi", deadline_seconds=21600, image=IMAGE, namespace=NS,
                            cfg=kubernetes())  # fmt: skip
    if task_id:
        manifest["metadata"]["annotations"]["bizops/task-id"] = task_id
    api.admit(manifest)


def assert_deleted(api: FakeApi) -> None:
    deletes = api.calls_to("DELETE", JOB_PATH)
    assert len(deletes) == 1
    assert deletes[0].body == {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}


# --- runs ----------------------------------------------------------------------------------------------------


def test_success_streams_the_log_once_and_deletes_the_job(api: FakeApi, caplog: pytest.LogCaptureFixture) -> None:
    serve_job_run(api, ["running", "complete"], ["podlist_running.json", "podlist_succeeded.json"])
    caplog.set_level("INFO", logger="luigi-interface.kubernetes")

    task().run()

    assert DONE == [], "the work ran in the pod, not here"
    (post,) = api.calls_to("POST", JOBS_PATH)
    job = post.body  # checked against the API schema by the server
    uid = "5f0c6a3e-8a7b-4c2d-9e1f-000000000001"  # the first Job the server created
    assert {c.query["labelSelector"] for c in api.calls_to("GET", PODS_PATH)} == {f"{CONTROLLER_UID}={uid}"}
    assert job["metadata"]["name"] == JOB == job_name(task().task_family, task().task_id)
    assert job["metadata"]["annotations"] == {"bizops/task-id": task().task_id, "bizops/parent-run-id": WORKER_POD}
    assert job["metadata"]["labels"] == {**k8s.JOB_LABELS, "bizops/task-family": "CrunchNumbers"}
    assert job["spec"]["backoffLimit"] == 0 and job["spec"]["ttlSecondsAfterFinished"] == 3600
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never" and pod["serviceAccountName"] == k8s.TASK_SERVICE_ACCOUNT
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    assert container["image"] == IMAGE, "the image of the worker's own pod"
    assert container["command"] == ["luigi", "--module", "tasks", "CrunchNumbers", "--day", "2026-11-25", "--full",
                                    "--local-scheduler", "--no-lock"]  # fmt: skip
    assert container["resources"] == k8s.resources("2", "4Gi")
    assert container["securityContext"] == k8s.container_security_context()
    assert {"name": TASK_POD_ENV, "value": JOB} in container["env"]

    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"[{JOB}-x7k2p] ")]
    expected = [line.split(" ", 1)[1] for line in fixture("log_success.txt").splitlines()]
    assert lines == [f"[{JOB}-x7k2p] {text}" for text in expected], "every line once, in order, without stamps"
    follows = api.calls_to("GET", LOG_PATH)
    assert follows[0].query == {"container": "task", "follow": "true", "timestamps": "true"}
    assert all(c.query.get("sinceTime") for c in follows[1:]), "a reconnect asks only for what it has not seen"
    assert f"Job {JOB} for {task().task_id} succeeded" in caplog.text
    assert_deleted(api)


def test_a_quiet_log_stream_reconnects_without_repeating_or_losing_lines(
    api: FakeApi, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.set("kubernetes", "request_timeout_seconds", 0.2)
    serve_job_run(api, ["running", "running", "complete"],
                  ["podlist_running.json", "podlist_running.json", "podlist_succeeded.json"])  # fmt: skip
    api.stall_first_stream_after = 3
    caplog.set_level("INFO", logger="luigi-interface.kubernetes")

    task().run()

    lines = [r.getMessage().split(" ", 1)[1] for r in caplog.records if r.getMessage().startswith(f"[{JOB}-x7k2p] ")]
    assert lines == [line.split(" ", 1)[1] for line in fixture("log_success.txt").splitlines()]
    follows = api.calls_to("GET", LOG_PATH)
    assert follows[1].query["sinceTime"] == "2026-11-26T03:00:32Z", "from the last line read, to the second"
    assert_deleted(api)


def test_pod_that_cannot_pull_its_image_fails_at_once_with_the_reason(api: FakeApi) -> None:
    serve_job_run(api, ["running_not_ready"], ["podlist_imagepullbackoff.json"])

    with pytest.raises(JobFailedError) as failure:
        task().run()

    message = str(failure.value)
    assert f"pod {JOB}-x7k2p cannot start: ImagePullBackOff" in message
    assert 'Back-off pulling image "registry.example.com/bizops-pipeline:0.1.0"' in message
    assert not api.calls_to("GET", LOG_PATH)
    assert_deleted(api)


def test_oom_killed_pod_fails_with_reason_exit_code_and_log_tail(api: FakeApi) -> None:
    serve_job_run(
        api, ["running", "failed"], ["podlist_running.json", "podlist_oomkilled.json"], log="log_oomkilled.txt"
    )

    with pytest.raises(JobFailedError) as failure:
        task().run()

    message = str(failure.value)
    assert f"{task().task_id} in Kubernetes Job {JOB} failed" in message
    assert "BackoffLimitExceeded: Job has reached the specified backoff limit" in message
    assert "container terminated: OOMKilled, exit code 137" in message
    assert "memory limit 4Gi: raise the task's pod_memory" in message
    assert message.endswith("INFO: crunching 2026-11-25: 6000000 of 9000000 rows")
    assert_deleted(api)


def test_a_running_job_of_the_same_task_is_adopted_not_duplicated(
    api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    serve_job_run(api, [], ["podlist_running.json", "podlist_succeeded.json"])
    earlier_job(api, ["running", "complete"])
    caplog.set_level("INFO", logger="luigi-interface.kubernetes")

    task().run()

    assert not api.calls_to("POST", JOBS_PATH), "no second Job"
    assert "is already running (a rerun): waiting for it" in caplog.text
    assert api.calls_to("GET", LOG_PATH)
    assert_deleted(api)


def test_a_job_created_by_another_worker_meanwhile_is_adopted(api: FakeApi) -> None:
    serve_job_run(api, ["running", "running", "complete"], ["podlist_running.json", "podlist_succeeded.json"])
    api.posted_meanwhile = True

    task().run()

    assert len(api.calls_to("POST", JOBS_PATH)) == 1
    assert_deleted(api)


def test_a_finished_job_from_an_earlier_run_is_replaced(api: FakeApi) -> None:
    earlier_job(api, ["failed"])
    serve_job_run(api, ["running", "complete"], ["podlist_running.json", "podlist_succeeded.json"])

    task().run()

    methods = [c.method for c in api.calls if c.path in (JOB_PATH, JOBS_PATH)]
    assert methods[:4] == ["GET", "DELETE", "GET", "POST"], "the old Job is gone before the new one is created"
    assert len(api.calls_to("DELETE", JOB_PATH)) == 2


def test_a_job_of_that_name_for_another_task_is_left_alone(api: FakeApi) -> None:
    earlier_job(api, ["running"], task_id="SomethingElse_2026_11_25_0123456789")
    serve_job_run(api, [], [])

    with pytest.raises(RunInPodError, match="exists for another task"):
        task().run()

    assert not api.calls_to("POST", JOBS_PATH) and not api.calls_to("DELETE", JOB_PATH)


def test_no_pod_within_the_timeout_fails_clearly_with_the_jobs_events(api: FakeApi, settings: Any) -> None:
    settings.set("kubernetes", "pod_start_timeout_seconds", 0.3)
    serve_job_run(api, ["created"], ["podlist_empty.json"])

    started = time.monotonic()
    with pytest.raises(JobFailedError) as failure:
        task().run()

    assert time.monotonic() - started < 3
    message = str(failure.value)
    assert "its container did not start within 0.3 s ([kubernetes] pod_start_timeout_seconds)" in message
    assert "no pod was created" in message
    assert "FailedCreate: Error creating: pods" in message and "exceeded quota: bizops-quota" in message
    (events,) = {c.query["fieldSelector"] for c in api.calls_to("GET", EVENTS_PATH)}
    assert events == f"involvedObject.kind=Job,involvedObject.name={JOB}"
    assert_deleted(api)


def test_transient_api_failures_are_retried(api: FakeApi) -> None:
    serve_job_run(api, ["running", "complete"], ["podlist_running.json", "podlist_succeeded.json"])
    api.outage("POST", JOBS_PATH, fixture("status_503_unavailable.json"), count=1)

    task().run()

    assert len(api.calls_to("POST", JOBS_PATH)) == 2
    assert_deleted(api)


def test_losing_the_api_while_waiting_leaves_the_job_for_a_rerun_to_adopt(
    api: FakeApi, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.set("kubernetes", "api_retries", 2)
    serve_job_run(api, ["running"], ["podlist_running.json"])
    api.outage("GET", JOB_PATH, fixture("status_503_unavailable.json"), first=2)  # from then on

    with pytest.raises(KubernetesApiError, match="503 ServiceUnavailable"):
        task().run()

    assert len(api.calls_to("GET", JOB_PATH)) == 2 + 3, "the first status check, then 1 + 2 retries"
    assert not api.calls_to("DELETE", JOB_PATH), "the Job is fine: only this watcher lost the API"
    assert f"left Job {JOB} as it is" in caplog.text


def test_an_api_refusal_is_an_error_naming_the_answer(api: FakeApi) -> None:
    serve_job_run(api, [], [])
    api.outage("POST", JOBS_PATH, fixture("status_403_forbidden_create_jobs.json"))

    with pytest.raises(KubernetesApiError) as failure:
        task().run()

    assert f"POST {JOBS_PATH} answered 403 Forbidden" in str(failure.value)
    assert 'cannot create resource "jobs" in API group "batch"' in str(failure.value)


def test_missing_token_is_a_clear_error(api: FakeApi, settings: Any, tmp_path: Path) -> None:
    settings.set("kubernetes", "token_path", tmp_path / "absent")

    with pytest.raises(RunInPodError, match="no Kubernetes service account token at"):
        task().run()
    assert not api.calls


# --- names, commands, secrets --------------------------------------------------------------------------------

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


@pytest.mark.parametrize(
    "family",
    ["LoadSecurityCheckLogs", "X" * 200, "ReplicateOrgmTable", "my_ns.Build_HTMLReport2", "__", "A" + "b-" * 80],
)
def test_job_names_are_valid_bounded_and_stable(family: str) -> None:
    name = job_name(family, f"{family}_2026_11_25_abc")
    assert len(name) <= 63 and DNS1123_LABEL.match(name), name
    assert name == job_name(family, f"{family}_2026_11_25_abc"), "stable: a rerun must find the same Job"
    assert name != job_name(family, f"{family}_2026_11_26_abc")
    value = label_value(family)
    assert len(value) <= 63 and LABEL_VALUE.match(value), value


def test_job_name_is_a_fixed_function_of_the_task_id() -> None:
    # Changing it would orphan running Jobs across a deploy (a rerun could not adopt them).
    assert job_name("LoadSecurityCheckLogs", "LoadSecurityCheckLogs_2026_11_25_6e5b6c1f36") == (
        "load-security-check-logs-1d533ece21"
    )
    assert job_name("HTMLReport", "x") == "html-report-2d711642b7"


def test_a_parameter_that_does_not_survive_the_command_line_is_refused() -> None:
    class CrunchDefaultOn(RunInPod):
        on = luigi.BoolParameter(default=True)  # a store_true flag cannot say False

    with pytest.raises(RunInPodError, match="a parameter does not round-trip"):
        task_command(CrunchDefaultOn(on=False))


def test_task_pods_get_their_familys_secrets_but_not_the_alert_webhook() -> None:
    env = {s.env: s.key for s in pod_secrets("LoadSecurityCheckLogs", "snowflake")}
    assert env["SNOWFLAKE_LOAD_PASSWORD"] == "snowflake-load-password"
    assert env["DIAGNOSTIC_LOCATION_ONE"] == "diagnostic-location-one"
    assert "MATTERMOST_WEBHOOK_URL" not in env, "the worker that started the pod alerts, once"
    assert "HEROKU_POSTGRESQL_URL" not in env
    assert pod_secrets("CrunchNumbers", "snowflake") == []


def test_every_object_the_server_answers_with_is_of_productions_api_schema() -> None:
    """The hand-written objects, and a Job in each scripted state, validate strictly against the 1.31 schema;
    an object the schema does not know fails (so the server's check can fail)."""
    for path in sorted(FIXTURES.glob("*.json")):
        if not path.name.startswith("jobstatus_"):
            api_object(fixture(path.name))
    api = FakeApi()
    api.lives.append(["created"])
    job = api.admit(job_manifest(task(), cpu="2", memory="4Gi", deadline_seconds=21600, image=IMAGE, namespace=NS,
                                 cfg=kubernetes()))  # fmt: skip
    for path in sorted(FIXTURES.glob("jobstatus_*.json")):
        api_object({**job, "status": fixture(path.name)})
    with pytest.raises(kubernetes_validate.ValidationError, match="activeDeadline"):
        api_object({**job, "spec": {**job["spec"], "activeDeadline": 5}})
    with pytest.raises(jsonschema.ValidationError, match="reasons"):
        api_object({**fixture("status_503_unavailable.json"), "reasons": []})
