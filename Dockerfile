# The pipeline image: Luigi workers, luigid and dbt with its manifest baked in. It is what runs (CronJobs,
# per-task Job pods, luigid): nothing is cloned or installed at run time.
#
#   docker build --build-arg BIZOPS_CODE_VERSION="$(git rev-parse HEAD)" -t <registry>/bizops-pipeline:<tag> .
#
# Runs as uid 10001 on a read-only root filesystem; the only writable paths are volumes (k8s/): /tmp (HOME,
# dbt's target and logs, Luigi's pid lock, downloads), /var/lib/luigid (state) and /var/log/luigid.
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the lock changes.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY luigi.cfg logging.ini ./
COPY config/ config/
COPY targets/ targets/
COPY services/ services/
COPY tasks/ tasks/
COPY ops/ ops/
COPY devdata/ devdata/
COPY sql/ sql/
COPY dbt/ dbt/

# The manifest of the production target, for Luigi to derive dbt's dependencies without running dbt.
# `dbt parse` never connects, but the snowflake profile's env_var() calls need values: dummy, non-secret,
# and scoped to this RUN, so no ENV carries them (at run time the pipeline hands dbt its settings).
RUN SNOWFLAKE_ACCOUNT=parse-only SNOWFLAKE_TRANSFORM_USER=parse-only SNOWFLAKE_TRANSFORM_PASSWORD=parse-only \
    SNOWFLAKE_TRANSFORM_ROLE=parse-only SNOWFLAKE_TRANSFORM_WAREHOUSE=parse-only \
    SNOWFLAKE_TRANSFORM_DATABASE=parse-only SNOWFLAKE_TRANSFORM_SCHEMA=parse-only \
    dbt parse --project-dir dbt --profiles-dir dbt --target snowflake \
    && rm -rf dbt/logs dbt/target/partial_parse.msgpack dbt/target/perf_info.json

# The code stays root-owned, read-only to the runtime user; luigid's folders exist for a plain `docker run`.
RUN groupadd --system --gid 10001 bizops \
    && useradd --system --uid 10001 --gid bizops --home-dir /tmp --no-create-home --shell /usr/sbin/nologin bizops \
    && mkdir -p /var/lib/luigid /var/log/luigid \
    && chown bizops:bizops /var/lib/luigid /var/log/luigid

ENV PYTHONPATH=/app \
    HOME=/tmp \
    DBT_PROFILES_DIR=/app/dbt \
    DBT_TARGET_PATH=/tmp/dbt/target \
    DBT_LOG_PATH=/tmp/dbt/logs \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false

# Last, so a new commit rebuilds no layer above. Markers record it; an image without it is refused.
ARG BIZOPS_CODE_VERSION
RUN test -n "${BIZOPS_CODE_VERSION}" \
    || { echo "build with --build-arg BIZOPS_CODE_VERSION=<the git commit>" >&2; exit 1; }
ENV BIZOPS_CODE_VERSION=${BIZOPS_CODE_VERSION}

USER 10001:10001
EXPOSE 8082
CMD ["luigi", "--help"]
