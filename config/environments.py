"""The deployed environments, and the settings that differ there from luigi.cfg: the one place production's
values live. k8s/ is generated from it (``python -m ops.manifests generate``): an environment's ConfigMap
carries its overrides of the image's luigi.cfg, and its overlay its namespace, image, AWS role and suspended
schedules.

The rehearsal (``make rehearse``) is an environment too: production played on one machine, from its own overlay.
It differs from production only where no real service can run there; each such difference is a ``StandIn``,
written as a comment into the overlay and printed by the rehearsal.
"""

from __future__ import annotations

from dataclasses import dataclass

NAMESPACE = "bizops"
# Placeholder registry: set the real one here and regenerate (a wrong one fails loudly as ImagePullBackOff).
REGISTRY_IMAGE = "registry.example.com/bizops-pipeline"
LUIGID_HOST = "luigid"  # the central scheduler's Service
LUIGID_PORT = 8082
SCRATCH = "/tmp"  # every pipeline pod's writable emptyDir (services.pods): the image's root filesystem is read-only

# IRSA: pods get AWS credentials from the IAM role their ServiceAccount names in this annotation (EKS injects a
# web identity token that boto3 exchanges for the role's temporary keys); no static keys exist anywhere.
# Placeholder account (AWS's documentation example) until the roles are created: see k8s/README.md.
AWS_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"


def _role(name: str) -> str:
    return f"arn:aws:iam::111122223333:role/{name}"


Setting = tuple[str, str, str]  # luigi.cfg section, option, value


@dataclass(frozen=True)
class StandIn:
    """What an environment has instead of a production service that cannot run there, and why."""

    what: str
    why: str
    settings: tuple[Setting, ...] = ()  # the luigi.cfg values it overrides
    suspends: tuple[str, ...] = ()  # schedules it leaves out
    volume: tuple[str, str] | None = None  # (claim, mount path): a volume every CronJob pod mounts

    def line(self) -> str:
        return f"{self.what}: {self.why}"


@dataclass(frozen=True)
class Environment:
    """One environment: k8s/overlays/<name>."""

    name: str
    namespace: str
    tag: str  # the image tag to run; a release sets it here and regenerates
    landing_url: str  # [landing] url of the environment (placeholder buckets until confirmed)
    reports_url: str  # [report] s3_url: where the HTML reports are published
    aws_role: str  # the IAM role of the pipeline's pods (IRSA)
    suspended: tuple[str, ...] = ()  # schedules that must not run there
    image: str = REGISTRY_IMAGE
    stand_ins: tuple[StandIn, ...] = ()

    def settings(self) -> dict[str, dict[str, str]]:
        """The luigi.cfg sections and values this environment overrides."""
        values = {
            "core": {"scheduler_host": LUIGID_HOST, "scheduler_port": str(LUIGID_PORT)},
            "warehouse": {"backend": "snowflake"},
            "landing": {"url": self.landing_url},
            # The image's project folder is read-only: dbt writes its artifacts and logs to the pod's volume.
            "dbt": {"target_path": f"{SCRATCH}/dbt/target", "log_path": f"{SCRATCH}/dbt/logs"},
            # Written to the pod's volume (gone with the pod), published to S3 for people to open.
            "report": {"folder": f"{SCRATCH}/reports", "s3_url": self.reports_url},
            # Heavy tasks (tasks.run_in_pod.RunInPod) run as their own Job pods.
            "kubernetes": {"run_in_pods": "true"},
        }
        for stand_in in self.stand_ins:
            for section, option, value in stand_in.settings:
                values.setdefault(section, {})[option] = value
        return values

    def suspended_schedules(self) -> tuple[str, ...]:
        return self.suspended + tuple(name for s in self.stand_ins for name in s.suspends)


PRODUCTION = Environment(
    "production", NAMESPACE, "0.1.0", "s3://bizops-landing/bizops", "s3://bizops-reports/metrics",
    _role("bizops-pipeline-production"),
)  # fmt: skip
REHEARSAL_WAREHOUSE = "/var/lib/bizops/warehouse"
REHEARSAL = Environment(
    "rehearsal", NAMESPACE, "rehearsal", PRODUCTION.landing_url, PRODUCTION.reports_url, PRODUCTION.aws_role,
    image="localhost/bizops-pipeline",
    stand_ins=(
        StandIn("the image localhost/bizops-pipeline:rehearsal, pulled never",
                "built on this machine by `make image`; no registry is reachable here"),
        StandIn(f"the warehouse is DuckDB files on the volume bizops-warehouse ({REHEARSAL_WAREHOUSE})",
                "Snowflake cannot run here",
                settings=(("warehouse", "backend", "duckdb"), ("warehouse", "duckdb_dir", REHEARSAL_WAREHOUSE)),
                volume=("bizops-warehouse", REHEARSAL_WAREHOUSE)),
        StandIn("CronJob permissions suspended", "it applies config/roles.yml to Snowflake, which cannot run here",
                suspends=("permissions",)),
        StandIn("heavy tasks run in their CronJob's pod ([kubernetes] run_in_pods = false)",
                "no Kubernetes API server can run here to start their Jobs",
                settings=(("kubernetes", "run_in_pods", "false"),)),
        StandIn("the write-back refuses fewer than 10 rows ([write_back] min_rows = 10, production 500)",
                "the sample org has a few dozen accounts, production's thousands",
                settings=(("write_back", "min_rows", "10"),)),
    ),
)  # fmt: skip
ENVIRONMENTS: tuple[Environment, ...] = (
    # permissions is suspended on staging: roles.yml applied from there would revoke production grants
    # whenever both use one Snowflake account.
    Environment(
        "staging", "bizops-staging", "0.1.0", "s3://bizops-landing-staging/bizops",
        "s3://bizops-reports-staging/metrics", _role("bizops-pipeline-staging"), suspended=("permissions",),
    ),
    PRODUCTION,
    REHEARSAL,
)  # fmt: skip
