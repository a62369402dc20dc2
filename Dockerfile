# The pipeline image: Luigi workers, luigid and dbt with its manifest baked in. It is what runs (CronJobs,
# per-task Job pods, luigid): nothing is cloned or installed at run time.
#
#   make image     # this machine's container engine, the base below or a stand-in for it (ops/image.py)
#   docker build --build-arg BIZOPS_CODE_VERSION="$(git rev-parse HEAD)" -t <registry>/bizops-pipeline:<tag> .
#
# Runs as uid 10001 on a read-only root filesystem; the only writable paths are volumes (k8s/): /tmp (HOME,
# dbt's target and logs, reports, Luigi's pid lock, downloads), /var/lib/luigid (state) and /var/log/luigid.

# The base: the official Python image. Where no registry is reachable, `make image` passes a stand-in with the
# same layout (python, pip and installed scripts in /usr/local/bin) made from Debian packages.
ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the lock changes. Runtime dependencies only (the tests'
# tools are in requirements.lock), exactly the lock's (no resolution here) and checked consistent. A build behind a
# TLS-inspecting proxy hands in the machine's CA bundle as the secret ca-bundle (`make image` does): pip trusts it
# for this step, and it never enters a layer.
COPY requirements-runtime.lock ./
RUN --mount=type=secret,id=ca-bundle \
    if [ -f /run/secrets/ca-bundle ]; then export PIP_CERT=/run/secrets/ca-bundle; fi \
    && pip install --no-cache-dir --no-deps --progress-bar off -r requirements-runtime.lock \
    && pip check

COPY luigi.cfg logging.ini ./
COPY config/ config/
COPY targets/ targets/
COPY services/ services/
COPY tasks/ tasks/
COPY ops/ ops/
COPY sql/ sql/
COPY dbt/ dbt/

# dbt's manifest, for Luigi to derive dbt's dependencies without running dbt: parsed by the pipeline itself
# (tasks/transform/manifest.py) for the production backend, so its relations are production's. `dbt parse` never
# connects, but the snowflake profile's env_var() calls need credentials: dummy, non-secret, and scoped to this
# RUN, so no ENV carries them.
RUN printf '[warehouse]\nbackend = snowflake\n' > /tmp/parse.cfg \
    && LUIGI_CONFIG_PATH=/tmp/parse.cfg SNOWFLAKE_ACCOUNT=parse-only SNOWFLAKE_TRANSFORM_USER=parse-only \
       SNOWFLAKE_TRANSFORM_PASSWORD=parse-only python -c 'from tasks.transform.manifest import load; load()' \
    && rm -rf /tmp/parse.cfg dbt/logs dbt/target/partial_parse.msgpack dbt/target/perf_info.json

# The code stays root-owned, read-only to the runtime user; luigid's folders exist for a plain `docker run`.
RUN groupadd --system --gid 10001 bizops \
    && useradd --system --uid 10001 --gid bizops --home-dir /tmp --no-create-home --shell /usr/sbin/nologin bizops \
    && mkdir -p /var/lib/luigid /var/log/luigid \
    && chown bizops:bizops /var/lib/luigid /var/log/luigid

ENV PYTHONPATH=/app \
    HOME=/tmp \
    DBT_PROFILES_DIR=/app/dbt \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false

# Last, so a new commit rebuilds no layer above. Markers record it; an image without it is refused.
ARG BIZOPS_CODE_VERSION
RUN test -n "${BIZOPS_CODE_VERSION}" \
    || { echo "build with --build-arg BIZOPS_CODE_VERSION=<the git commit>" >&2; exit 1; }
ENV BIZOPS_CODE_VERSION=${BIZOPS_CODE_VERSION}

USER 10001:10001
EXPOSE 8082
CMD ["luigi", "--help"]
