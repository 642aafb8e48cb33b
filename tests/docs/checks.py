"""Checks of what a guide quotes against what the code defines; each problem names the doc, the line and the token.

The names a doc may quote come from tests/docs/known.py (collected from the code). Names that belong to other
tools (helm's flags, AWS API names, ...) are listed below, each with its owner, so that a made-up name in a new
guide fails unless someone adds it here on purpose.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator

from tests.docs import known, messages
from tests.docs.blocks import check_blocks
from tests.docs.markdown import Doc, Problem, Span
from tests.docs.paths import DOTTED, MISSING, RELATIVE, is_field_path, path_exists, value_at
from tests.docs.tables import check_field_tables, check_values_defaults

# Flags of other commands that guides quote inline (the tool in the comment).
FOREIGN_FLAGS = {
    "--reuse-values", "--set", "-f", "--create-namespace", "--include-crds",  # helm
    "--from-literal", "--from-file", "--for", "--field-selector", "--force-conflicts", "--server-side",  # kubectl
    "--prefix", "--tail", "--previous", "--dry-run", "--type", "--serviceaccount", "--clusterrole",  # kubectl
    "--api-audiences",  # kube-apiserver
    "--http-put-response-hop-limit",  # aws ec2 modify-instance-metadata-options
    "--python-platform", "--upgrade-package", "--upgrade", "--generate-hashes", "--no-config",  # uv pip compile
    "--require-hashes", "--no-deps", "--no-build-isolation", "--user", "--no-cache-dir",  # pip
    "--managed-markers", "--enable-webhooks", "--watch-namespaces",  # the replaced operator's (migration.md)
    "--workload-metadata",  # gcloud container node-pools
    "-orphan", "-ttl", "-no-default-policy", "-period", "-policy",  # vault token create
}
# PascalCase names of other systems that guides quote: AWS APIs and errors, Kubernetes add-ons, Python, tools.
FOREIGN_NAMES = {
    "AssumeRoleWithWebIdentity", "GetCallerIdentity", "RoleSessionName", "ExternalId", "AccessDenied",
    "SignatureDoesNotMatch", "EndpointConnectionError",  # AWS STS and botocore
    "ServiceMonitor", "ClusterKopfPeering", "OpenBao", "DaemonSet",  # Prometheus Operator, kopf, OpenBao
    "DeprecationWarning", "KeyError", "ValueError",  # Python
    "ImagePullBackOff", "Terminating", "RollingUpdate", "Recreate",  # Kubernetes states and strategies
    "IfNotPresent", "ClusterIP", "RuntimeDefault",  # Kubernetes enum values
    "signJwt", "pathLoginRenew",  # Google's IAM Credentials API, Vault's gcp plugin (camelCase)
}
# Dotted names of other systems that look like field paths: Google IAM permissions.
FOREIGN_PATH_PREFIXES = ("iam.", "compute.")
# Names of the replaced operator that only the migration guide quotes (its status fields).
REPLACED_OPERATOR_FIELDS = {"lastReconcileID", "lastHeartbeat", "retryCount"}
_FLAG = re.compile(r"^(?P<flag>-{1,2}[A-Za-z][\w-]*)(?:[= ].*)?$")
_METRIC = re.compile(r"^vault_access_operator_[a-z_]+$")
_ENV = re.compile(r"^(?P<name>(?:VAO|OPERATOR)_[A-Z_]+)(?:=.*)?$")


def check_doc(doc: Doc) -> list[Problem]:
    """Every check, on one guide."""
    problems = list(check_spans(doc))
    problems += check_field_tables(doc)
    problems += check_values_defaults(doc)
    problems += check_blocks(doc)
    return problems


def check_spans(doc: Doc) -> Iterator[Problem]:
    last_key = ""
    for span in doc.spans():
        text = span.text.strip()
        column = span.column.lower()
        if "message" in column:
            reason = next((cell.split("=", 1)[1].strip("` ") for cell in span.row if cell.startswith("Reason=")), "")
            why = messages.unknown_part(text, vault_answered=reason == "LoginDenied")
            if why:
                yield Problem(span.doc, span.line, text, why)
            continue
        if column == "reason" and text not in known.reasons():
            yield Problem(span.doc, span.line, text, "not a reason the code sets (core/errors.py Reason, or a "
                          "reason literal of a controller)")
            continue
        if column == "key" and any(c.startswith("Default=") for c in span.row):  # a chart values table;
            # `.port` continues the key before it
            key = last_key.rsplit(".", 1)[0] + text if RELATIVE.match(text) and last_key else text
            if DOTTED.match(key) or re.match(r"^[a-z][A-Za-z0-9]*$", key):
                last_key = key
                if value_at(key) is MISSING:
                    yield Problem(span.doc, span.line, text, "not a key of charts/vault-access-operator/values.yaml")
            continue
        yield from _check_name(span, text)


def _check_name(span: Span, text: str) -> Iterator[Problem]:
    flag = _FLAG.match(text)
    if flag:
        ours = set().union(*known.cli_flags().values())
        if flag["flag"] not in ours and flag["flag"] not in FOREIGN_FLAGS:
            yield Problem(span.doc, span.line, text, "not an option of any vault-access-operator command "
                          "(core/cli.py); another tool's flag goes into FOREIGN_FLAGS in tests/docs/checks.py")
    elif _METRIC.match(text) and importlib.util.find_spec(text) is None:  # not the devkit's package name
        if text not in known.metric_names():
            yield Problem(span.doc, span.line, text, "not a metric the operator exposes (core/metrics.py)")
    elif env := _ENV.match(text):
        if env["name"] not in known.string_literals():
            yield Problem(span.doc, span.line, text, "no environment variable of that name is read by the code")
    elif DOTTED.match(text) and is_field_path(text) and not text.startswith(FOREIGN_PATH_PREFIXES):
        if not path_exists(text):
            yield Problem(span.doc, span.line, text, "no such field in the CRDs (spec/status), the auth plugins' "
                          "config models or values.yaml")
    elif known.CAMEL.match(text):
        if text not in known.field_names() | known.python_names() | REPLACED_OPERATOR_FIELDS | FOREIGN_NAMES:
            yield Problem(span.doc, span.line, text, "not a field of any CRD or config model, a status detail, a "
                          "chart value or a Kubernetes field")
    elif known.PASCAL.match(text) and sum(c.isupper() for c in text) >= 2:
        if text not in _pascal_names():
            yield Problem(span.doc, span.line, text, "not a reason, kind, condition, class or other name the code "
                          "defines (another system's name goes into FOREIGN_NAMES in tests/docs/checks.py)")


def _pascal_names() -> set[str]:
    from vault_access_operator.kinds import KINDS

    return (set(known.reasons()) | set(known.python_names()) | set(known.kubernetes_names()[1])
            | {k.kind for k in KINDS} | FOREIGN_NAMES)
