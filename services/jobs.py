"""Heavy tasks in their own Kubernetes Job pod, over the plain Kubernetes API (the runner behind
``tasks.run_in_pod.RunInPod``).

The Job runs the same task from the same image (``luigi --module tasks <Family> <params> --local-scheduler
--no-lock``); its pod's log streams into the Luigi log while the runner waits. Where luigi.contrib.kubernetes
falls short, this does not:

- the Job name is the family plus a sha256 of the task_id, so a rerun whose worker died finds the Job
  still running and waits for it (adopts it) instead of starting a second one;
- a pod has ``pod_start_timeout_seconds`` to start, not 5 s, and a Job that gets none says why (events);
- a failure raises an exception naming the pod's reason (ImagePullBackOff, OOMKilled, exit code...);
- the Job is deleted (propagationPolicy Background) after success and after failure; a worker that loses
  the API instead (after retries) leaves it running for a rerun to adopt.

Private parameters are not passed to the pod (they get their defaults there).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import luigi
import requests
from luigi.cmdline_parser import CmdlineParser
from luigi.parameter import ParameterVisibility

from config import secrets
from config.settings import kubernetes
from services import pods
from targets.warehouse.connect import backend

# Luigi's CLI configures only the luigi-interface logger, so a child of it is what shows in the Luigi log.
logger = logging.getLogger("luigi-interface.kubernetes")

TASK_POD_ENV = "BIZOPS_TASK_POD"  # set in a task's own pod: its tasks run in-process, never as further Jobs
NAME_MAX = 63  # a Job's name is also the value of its pods' job-name label
# Waiting reasons that do not resolve by themselves: fail now rather than at the timeout.
FATAL_WAITING = frozenset(
    {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError"}
)
LOG_TAIL_LINES = 20  # the pod's last log lines go into the failure message (and so into the alert)
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class RunInPodError(RuntimeError):
    """A per-task Job could not be run."""


class KubernetesApiError(RunInPodError):
    def __init__(self, method: str, path: str, response: requests.Response):
        self.status = response.status_code
        try:
            body = response.json()
            detail = f"{body.get('reason', '')}: {body.get('message', '')}"
        except ValueError:
            detail = response.text[:500]
        super().__init__(f"Kubernetes API {method} {path} answered {self.status} {detail}")


class JobFailedError(RunInPodError):
    """The Job ran and failed, its pod could not start, or it got no pod in time."""


# --- names and manifests -------------------------------------------------------------------------------------


def job_name(family: str, task_id: str) -> str:
    """A DNS-1123 name of at most 63 characters: the kebab-cased family, cut to fit, plus a stable hash
    of the task_id (sha256: the same in every process, unlike hash())."""
    digest = hashlib.sha256(task_id.encode()).hexdigest()[:10]
    kebab = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", family).lower()
    prefix = re.sub(r"[^a-z0-9]+", "-", kebab)[: NAME_MAX - len(digest) - 1].strip("-") or "task"
    return f"{prefix}-{digest}"


def label_value(text: str) -> str:
    """A valid label value (63 characters, alphanumeric at both ends)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text)[:63].strip("-_.")


def pod_secrets(family: str, backend: str) -> list[secrets.Secret]:
    """The family's secrets, less those every task gets (the alert webhook): the worker that started the
    pod reports its failure, with the pod's log tail, so one failure makes one alert."""
    return [s for s in secrets.needed(family, backend) if "*" not in s.tasks]


def task_command(task: luigi.Task) -> list[str]:
    """The command that runs ``task`` in its pod, checked to rebuild the same task_id there."""
    args = [task.task_family]
    for name, param in task.get_params():
        value = task.param_kwargs[name]
        if value is None or param.visibility == ParameterVisibility.PRIVATE:
            continue  # the pod resolves it as this process did (same luigi.cfg); the check below proves it
        flag = "--" + name.replace("_", "-")
        if isinstance(param, luigi.BoolParameter) and param.parsing == luigi.BoolParameter.IMPLICIT_PARSING:
            args += [flag] if value else []
        else:
            args += [flag, param.serialize(value)]
    args += ["--local-scheduler", "--no-lock"]
    try:
        with CmdlineParser.global_instance(args, allow_override=True) as parser:
            rebuilt = parser.get_task_obj().task_id
    except (SystemExit, ValueError, luigi.parameter.ParameterException) as exc:  # argparse exits on bad arguments
        raise RunInPodError(f"cannot pass {task.task_id} on a command line: {args} does not parse") from exc
    if rebuilt != task.task_id:
        raise RunInPodError(f"the pod would run {rebuilt}, not {task.task_id}: a parameter does not round-trip")
    return ["luigi", "--module", "tasks", *args]


def job_manifest(
    task: luigi.Task, *, cpu: str, memory: str, deadline_seconds: int, image: str, namespace: str, cfg: kubernetes
) -> dict[str, Any]:
    """The Job that runs ``task`` in a pod of its own with these resources and deadline."""
    name = job_name(task.task_family, task.task_id)
    labels = {**pods.JOB_LABELS, "bizops/task-family": label_value(task.task_family)}
    annotations = {"bizops/task-id": task.task_id}
    if parent := os.environ.get(pods.POD_NAME_ENV):
        annotations["bizops/parent-run-id"] = parent
    env = [
        *pods.secret_env(pod_secrets(task.task_family, backend())),
        *pods.run_env(),
        {"name": TASK_POD_ENV, "value": name},
    ]
    pod = pods.worker_pod_spec(
        image=image, command=task_command(task), env=env, cpu=cpu, memory=memory,
        service_account=cfg.service_account, api_token=False,
    )  # fmt: skip
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace, "labels": labels, "annotations": annotations},
        "spec": {
            "backoffLimit": 0,  # a retry is Luigi's decision, not a silent second pod
            "activeDeadlineSeconds": deadline_seconds,
            "ttlSecondsAfterFinished": cfg.ttl_seconds_after_finished,
            "template": {"metadata": {"labels": labels, "annotations": annotations}, "spec": pod},
        },
    }


# --- the API -------------------------------------------------------------------------------------------------


class KubernetesApi:
    """The few calls the runner makes, with the service account's bearer token."""

    def __init__(self, url: str, token_path: str, ca_path: str, timeout: float, retries: int, backoff: float):
        if not Path(token_path).is_file():
            raise RunInPodError(
                f"no Kubernetes service account token at {token_path}: run_in_pods needs a pod whose service "
                "account may create Jobs (k8s/: bizops-job), or set [kubernetes] token_path"
            )
        self.url = url.rstrip("/")
        self.token_path = token_path
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.session = requests.Session()
        self.session.verify = ca_path if url.startswith("https:") else True

    @classmethod
    def from_config(cls, cfg: kubernetes) -> KubernetesApi:
        return cls(cfg.api_url, cfg.token_path, cfg.ca_path, cfg.request_timeout_seconds, cfg.api_retries,
                   cfg.poll_seconds)  # fmt: skip

    def request(self, method: str, path: str, *, ok: tuple[int, ...] = (200,), **kwargs: Any) -> requests.Response:
        """A response with an ``ok`` status; transient failures are retried (a repeated POST answers 409,
        which the runner treats as its own Job)."""
        url = self.url + path
        waits = iter([self.backoff * 2**i for i in range(self.retries)])
        while True:
            token = Path(self.token_path).read_text().strip()  # re-read: the kubelet rotates it
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            try:
                response = self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
                if response.status_code in ok:
                    return response
                error: Exception = KubernetesApiError(method, path, response)
                transient = response.status_code in RETRY_STATUS
            except (requests.ConnectionError, requests.Timeout) as exc:
                error, transient = exc, True
            wait = next(waits, None) if transient else None
            if wait is None:
                raise error
            logger.warning("Kubernetes API %s %s failed (%s): retrying in %g s", method, path, error, wait)
            time.sleep(wait)

    def get(self, path: str, **params: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        response = self.request("GET", path, ok=(200, 404), params=params or None)
        return None if response.status_code == 404 else response.json()

    def create(self, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The created object, or None when one of that name exists already."""
        response = self.request("POST", path, ok=(201, 409), json=body)
        return None if response.status_code == 409 else response.json()

    def delete(self, path: str) -> None:
        # Background: the Job goes at once and the garbage collector removes its pods.
        body = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
        self.request("DELETE", path, ok=(200, 202, 404), json=body)

    def stream(self, path: str, **params: str) -> requests.Response:
        return self.request("GET", path, params=params, stream=True)


def own_namespace(cfg: kubernetes) -> str:
    if cfg.namespace:
        return cfg.namespace
    path = Path(cfg.token_path).with_name("namespace")
    if not path.is_file():
        raise RunInPodError(f"no namespace file at {path}: set [kubernetes] namespace")
    return path.read_text().strip()


def own_image(api: KubernetesApi, namespace: str) -> str:
    """The image of the pod this worker runs in: a task pod runs exactly the code that started it."""
    pod_name = os.environ.get(pods.POD_NAME_ENV, "")  # HOSTNAME would be cut to 63 characters
    pod = api.get(f"/api/v1/namespaces/{namespace}/pods/{pod_name}") if pod_name else None
    if pod is None:
        raise RunInPodError(f"cannot find this worker's pod {pod_name!r} in {namespace}: set [kubernetes] image")
    containers = pod["spec"]["containers"]
    return next((c for c in containers if c["name"] == pods.CONTAINER), containers[0])["image"]


# --- pod status ----------------------------------------------------------------------------------------------


def job_state(job: dict[str, Any]) -> tuple[str, str] | None:
    """("Complete" | "Failed", "reason: message") once the Job has finished, else None."""
    for condition in job.get("status", {}).get("conditions") or []:
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            detail = ": ".join(x for x in (condition.get("reason"), condition.get("message")) if x)
            return condition["type"], detail
    return None


def _container(pod: dict[str, Any]) -> dict[str, Any]:
    statuses = pod.get("status", {}).get("containerStatuses") or []
    return next((c for c in statuses if c.get("name") == pods.CONTAINER), {})


def started(pod: dict[str, Any]) -> bool:
    state = _container(pod).get("state", {})
    return "running" in state or "terminated" in state


def terminated(pod: dict[str, Any]) -> bool:
    return "terminated" in _container(pod).get("state", {})


def fatal_waiting(pod: dict[str, Any]) -> str | None:
    waiting = _container(pod).get("state", {}).get("waiting") or {}
    if waiting.get("reason") in FATAL_WAITING:
        return f"{waiting['reason']}: {waiting.get('message', '')}".rstrip(": ")
    return None


def describe_pod(pod: dict[str, Any], memory: str) -> str:
    """What went wrong with a pod, in the words of its status."""
    status = pod.get("status", {})
    parts = [f"pod {pod['metadata']['name']} {status.get('phase', 'Unknown')}"]
    if status.get("reason"):  # e.g. Evicted, DeadlineExceeded
        parts.append(f"{status['reason']}: {status.get('message', '')}")
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            parts.append(f"not scheduled: {condition.get('reason')}: {condition.get('message', '')}")
    state = _container(pod).get("state", {})
    if waiting := state.get("waiting"):
        parts.append(f"container waiting: {waiting.get('reason')}: {waiting.get('message', '')}")
    if ended := state.get("terminated"):
        text = f"container terminated: {ended.get('reason')}, exit code {ended.get('exitCode')}"
        if ended.get("message"):
            text += f": {ended['message']}"
        if ended.get("reason") == "OOMKilled":
            text += f" (memory limit {memory}: raise the task's pod_memory)"
        parts.append(text)
    return "; ".join(parts)


_STAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z")


def _time_key(stamp: str) -> tuple[str, int] | None:
    """Kubelet's RFC3339Nano stamps trim trailing zeros, so compare (seconds, nanoseconds), not strings."""
    match = _STAMP.fullmatch(stamp)
    return (match[1], int((match[2] or "").ljust(9, "0"))) if match else None


@dataclass
class LogFollower:
    """Streams a pod's log into the Luigi log; reconnects after a quiet spell without repeating lines."""

    api: KubernetesApi
    path: str  # .../pods/<name>/log
    pod: str
    last: tuple[str, int] | None = None
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_TAIL_LINES))

    def follow(self) -> None:
        params = {"container": pods.CONTAINER, "follow": "true", "timestamps": "true"}
        if self.last:
            params["sinceTime"] = self.last[0] + "Z"  # whole seconds only: older lines are skipped below
        try:
            with self.api.stream(self.path, **params) as response:
                for line in self._lines(response):
                    logger.info("[%s] %s", self.pod, line)
                    self.tail.append(line)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError):
            return  # a quiet or dropped stream: the caller polls and follows again
        except KubernetesApiError as exc:
            if exc.status != 400:  # 400: the container is not ready for logs yet
                raise

    def _lines(self, response: requests.Response) -> Iterator[str]:
        for raw in response.iter_lines():
            line = raw.decode("utf-8", "replace")
            stamp, _, text = line.partition(" ")
            if (key := _time_key(stamp)) is None:
                yield secrets.redact(line)
                continue
            if self.last is not None and key <= self.last:
                continue  # already read before a reconnect
            self.last = key
            yield secrets.redact(text)


# --- the runner ----------------------------------------------------------------------------------------------


@dataclass
class JobRunner:
    """Create (or adopt) one Job, follow it to its end, delete it."""

    api: KubernetesApi
    manifest: dict[str, Any]
    start_timeout: float
    poll: float

    def __post_init__(self) -> None:
        meta = self.manifest["metadata"]
        self.name: str = meta["name"]
        self.task_id: str = meta["annotations"]["bizops/task-id"]
        self.jobs = f"/apis/batch/v1/namespaces/{meta['namespace']}/jobs"
        self.pods = f"/api/v1/namespaces/{meta['namespace']}/pods"
        self.events = f"/api/v1/namespaces/{meta['namespace']}/events"
        self.memory: str = self.manifest["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]

    def run(self) -> None:
        job = self._create_or_adopt()
        try:
            self._wait(job)
        except JobFailedError:
            self._delete()
            raise
        except BaseException:
            # This side failed (the API unreachable, an interrupt), not the Job: leave it running for a rerun
            # to adopt (ttlSecondsAfterFinished removes it once it has finished).
            logger.warning("left Job %s as it is: a rerun of %s waits for it", self.name, self.task_id)
            raise
        self._delete()

    def _create_or_adopt(self) -> dict[str, Any]:
        existing = self.api.get(f"{self.jobs}/{self.name}")
        if existing is not None:
            self._check_same_task(existing)
            if (state := job_state(existing)) is None:
                logger.info("Job %s for %s is already running (a rerun): waiting for it", self.name, self.task_id)
                return existing
            # A finished Job whose task is incomplete again (markers invalidated, or its worker died before
            # Luigi saw the result): run anew.
            logger.info("replacing Job %s from an earlier run (%s: %s)", self.name, *state)
            self._delete()
            self._wait_gone()
        created = self.api.create(self.jobs, self.manifest)
        if created is None:  # another worker created it between our GET and POST
            created = self.api.get(f"{self.jobs}/{self.name}")
            if created is None:
                raise RunInPodError(f"Job {self.name} answered 409 AlreadyExists but cannot be read")
            self._check_same_task(created)
            logger.info("Job %s for %s was just created by another worker: waiting for it", self.name, self.task_id)
        else:
            logger.info("started Job %s for %s", self.name, self.task_id)
        return created

    def _check_same_task(self, job: dict[str, Any]) -> None:
        other = (job["metadata"].get("annotations") or {}).get("bizops/task-id")
        if other != self.task_id:
            raise RunInPodError(f"Job {self.name} exists for another task ({other}), not {self.task_id}")

    def _wait_gone(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while self.api.get(f"{self.jobs}/{self.name}") is not None:
            if time.monotonic() > deadline:
                raise RunInPodError(f"the old Job {self.name} is still there {self.start_timeout:g} s after deletion")
            time.sleep(self.poll)

    def _wait(self, job: dict[str, Any]) -> None:
        selector = ",".join(f"{k}={v}" for k, v in sorted(job["spec"]["selector"]["matchLabels"].items()))
        deadline = time.monotonic() + self.start_timeout
        follower: LogFollower | None = None
        logs_done = has_started = False
        while True:
            job = self.api.get(f"{self.jobs}/{self.name}")
            if job is None:
                raise JobFailedError(f"Job {self.name} for {self.task_id} was deleted while it ran (by someone else)")
            pods = (self.api.get(self.pods, labelSelector=selector) or {}).get("items") or []
            pod = max(pods, key=lambda p: p["metadata"]["creationTimestamp"], default=None)
            if pod is not None:
                if reason := fatal_waiting(pod):
                    raise JobFailedError(f"{self._what()}: pod {pod['metadata']['name']} cannot start: {reason}")
                if started(pod) and not logs_done:
                    has_started = True
                    name = pod["metadata"]["name"]
                    if follower is None or follower.pod != name:
                        follower = LogFollower(self.api, f"{self.pods}/{name}/log", name)
                    ended = terminated(pod)
                    follower.follow()
                    logs_done = ended  # everything up to the end has been read
            state = job_state(job)
            if state and state[0] == "Complete":
                logger.info("Job %s for %s succeeded", self.name, self.task_id)
                return
            if state:
                raise JobFailedError(self._failure(state[1], pod, follower))
            if not has_started and time.monotonic() > deadline:
                why = describe_pod(pod, self.memory) if pod else f"no pod was created; {self._job_events()}"
                raise JobFailedError(
                    f"{self._what()}: its container did not start within {self.start_timeout:g} s "
                    f"([kubernetes] pod_start_timeout_seconds): {why}"
                )
            time.sleep(self.poll)

    def _what(self) -> str:
        return f"{self.task_id} in Kubernetes Job {self.name}"

    def _failure(self, condition: str, pod: dict[str, Any] | None, follower: LogFollower | None) -> str:
        text = f"{self._what()} failed ({condition})"
        text += f"; {describe_pod(pod, self.memory)}" if pod else f"; no pod ran; {self._job_events()}"
        if follower and follower.tail:
            text += "\nlast log lines:\n" + "\n".join(follower.tail)
        return secrets.redact(text)

    def _job_events(self) -> str:
        try:
            events = self.api.get(self.events, fieldSelector=f"involvedObject.kind=Job,involvedObject.name={self.name}")
        except (KubernetesApiError, requests.RequestException) as exc:
            return f"its events could not be read ({exc})"
        items = sorted((events or {}).get("items") or [], key=lambda e: e.get("lastTimestamp") or "")
        if not items:
            return "the Job has no events"
        return "events: " + " | ".join(f"{e.get('reason')}: {e.get('message')}" for e in items[-3:])

    def _delete(self) -> None:
        try:
            self.api.delete(f"{self.jobs}/{self.name}")
        except (KubernetesApiError, requests.RequestException) as exc:
            # Never mask the task's own outcome: ttlSecondsAfterFinished removes the Job later.
            logger.warning("could not delete Job %s: %s", self.name, exc)
