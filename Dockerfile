# vault-access-operator: the operator image the Helm chart runs (charts/vault-access-operator).
#   docker build -t REGISTRY/vault-access-operator:0.1.0 .
# Extra auth plugins: build FROM this image and pip install the plugin (docs/deploy.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A numeric non-root user (the chart's securityContext runs as 65532 with runAsNonRoot).
RUN groupadd --system --gid 65532 operator \
    && useradd --system --uid 65532 --gid 65532 --home-dir /home/operator --create-home \
       --shell /usr/sbin/nologin operator

WORKDIR /src
COPY pyproject.toml README.md ./
COPY core/ core/
COPY plugins/ plugins/
RUN pip install --no-cache-dir . \
    && rm -rf /src

# HOME: plugin images may `pip install --user` as this user (docs/deploy.md).
ENV HOME=/home/operator
WORKDIR /home/operator
USER 65532:65532
# kopf's liveness endpoint (--liveness) and Prometheus metrics (--metrics-port).
EXPOSE 8080 9090
ENTRYPOINT ["vault-access-operator", "run"]
