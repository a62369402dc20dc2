"""Run a heavy task in its own Kubernetes Job pod.

A task declares ``RunInPod`` first among its bases, with ``pod_cpu`` and ``pod_memory``. With
``[kubernetes] run_in_pods = true`` (the production ConfigMap) its ``run()`` starts a Job through
``services.jobs`` and waits; anywhere else, and inside that pod, the task runs in-process.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

import luigi

from config.settings import kubernetes
from services.jobs import TASK_POD_ENV, JobRunner, KubernetesApi, job_manifest, own_image, own_namespace

# --- the task side -------------------------------------------------------------------------------------------


class RunInPod(luigi.Task):
    """Run this task in its own Job pod: ``class BuildBigThing(RunInPod, WarehouseTask)`` (RunInPod first,
    so its run() wraps the task's own). Secrets come from the registry by task family, as for CronJobs."""

    pod_cpu: ClassVar[str] = "1"
    pod_memory: ClassVar[str] = "2Gi"
    pod_deadline_seconds: ClassVar[int] = 6 * 3600  # the Job's activeDeadlineSeconds

    def run(self) -> Any:
        cfg = kubernetes()
        if not cfg.run_in_pods or os.environ.get(TASK_POD_ENV):
            return super().run()  # may be a generator (dynamic dependencies): Luigi handles the return value
        api = KubernetesApi.from_config(cfg)
        namespace = own_namespace(cfg)
        image = cfg.image or own_image(api, namespace)
        manifest = job_manifest(
            self, cpu=self.pod_cpu, memory=self.pod_memory, deadline_seconds=self.pod_deadline_seconds,
            image=image, namespace=namespace, cfg=cfg,
        )  # fmt: skip
        JobRunner(api, manifest, cfg.pod_start_timeout_seconds, cfg.poll_seconds).run()
        return None
