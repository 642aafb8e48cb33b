# vault-access-operator: the operator image the Helm chart runs (charts/vault-access-operator).
#   docker build -t REGISTRY/vault-access-operator:0.1.0 .
# Extra auth plugins: build FROM this image and pip install the plugin (docs/deploy.md).
#
# The base is pinned by digest, so a rebuild gets the same Python and Debian until someone moves
# the pin on purpose. The digest is the multi-platform index (linux/amd64, linux/arm64, ...) of
# python:3.11.16-slim-bookworm, which python:3.11-slim-bookworm pointed at, as recorded by the
# Docker Official Images' repo-info (repos/python/remote/3.11.16-slim-bookworm.md, build of
# 2026-09-01). It was taken from that record, not pulled from the registry: check it before the
# first release. To update it (docs/deploy.md, "Updating the base image"):
#   docker buildx imagetools inspect python:3.11-slim-bookworm   # the "Digest:" line
# then replace the tag and digest below and rebuild. This base ships setuptools 79 and wheel,
# which build this package (--no-build-isolation below); a base without them fails that step.
FROM python:3.11.16-slim-bookworm@sha256:c425d915a89a6dcd3183b1797ad9bd8878caff5a417f6371c8df93c8ea8b727f

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A numeric non-root user (the chart's securityContext runs as 65532 with runAsNonRoot).
RUN groupadd --system --gid 65532 operator \
    && useradd --system --uid 65532 --gid 65532 --home-dir /home/operator --create-home \
       --shell /usr/sbin/nologin operator

WORKDIR /src
# Dependencies first, each pinned with its hashes (requirements.lock; refresh: docs/deploy.md): pip
# refuses any file whose hash is not in the lock. They change less often than the code, so this
# layer stays cached across code changes.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
# Then the package itself, without resolving anything more (--no-deps) and without downloading a
# build backend (--no-build-isolation: the base's setuptools builds it). pip check: the lock holds
# every dependency.
COPY pyproject.toml README.md ./
COPY core/ core/
COPY plugins/ plugins/
RUN pip install --no-cache-dir --no-deps --no-build-isolation . \
    && pip check \
    && rm -rf /src

# HOME: plugin images may `pip install --user` as this user (docs/deploy.md).
ENV HOME=/home/operator
WORKDIR /home/operator
USER 65532:65532
# kopf's liveness endpoint (--liveness) and Prometheus metrics (--metrics-port).
EXPOSE 8080 9090
ENTRYPOINT ["vault-access-operator", "run"]
