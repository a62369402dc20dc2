"""The deployed environments, and the settings that differ there from luigi.cfg: the one place production's
values live. k8s/ is generated from it (``python -m ops.manifests generate``): an environment's ConfigMap
carries its overrides of the image's luigi.cfg, and its overlay its namespace, image and suspended schedules.
"""

from __future__ import annotations

from dataclasses import dataclass

NAMESPACE = "bizops"
# Placeholder registry: set the real one here and regenerate (a wrong one fails loudly as ImagePullBackOff).
REGISTRY_IMAGE = "registry.example.com/bizops-pipeline"
LUIGID_HOST = "luigid"  # the central scheduler's Service
LUIGID_PORT = 8082


@dataclass(frozen=True)
class Environment:
    """One environment: k8s/overlays/<name>."""

    name: str
    namespace: str
    tag: str  # the image tag to run; a release sets it here and regenerates
    landing_url: str  # [landing] url of the environment (placeholder buckets until confirmed)
    suspended: tuple[str, ...] = ()  # schedules that must not run there
    image: str = REGISTRY_IMAGE

    def settings(self) -> dict[str, dict[str, str]]:
        """The luigi.cfg sections and values this environment overrides."""
        return {
            "core": {"scheduler_host": LUIGID_HOST, "scheduler_port": str(LUIGID_PORT)},
            "warehouse": {"backend": "snowflake"},
            "landing": {"url": self.landing_url},
            # Heavy tasks (tasks.run_in_pod.RunInPod) run as their own Job pods.
            "kubernetes": {"run_in_pods": "true"},
        }


ENVIRONMENTS: tuple[Environment, ...] = (
    # permissions is suspended on staging: roles.yml applied from there would revoke production grants
    # whenever both use one Snowflake account.
    Environment(
        "staging", "bizops-staging", "0.1.0", "s3://bizops-landing-staging/bizops", suspended=("permissions",)
    ),
    Environment("production", NAMESPACE, "0.1.0", "s3://bizops-landing/bizops"),
)
PRODUCTION = next(e for e in ENVIRONMENTS if e.name == "production")
