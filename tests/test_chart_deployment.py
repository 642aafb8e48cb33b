"""The chart's Deployment: command line, peering vs standalone, probes, env and hardening."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_chart import NAMESPACE, PRODUCTION, RESTRICTED, container, one, render

LIVENESS = "--liveness=http://0.0.0.0:8080/healthz"


def pod_spec(values: dict[str, Any] | None = None) -> dict[str, Any]:
    return one(render(values), "Deployment")["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def test_one_replica_runs_standalone() -> None:
    objects = render()
    manager = container(objects)
    assert manager["command"] == ["vault-access-operator", "run"]
    assert manager["args"] == [LIVENESS, "--standalone", "--metrics-port=9090", "--max-token-lifetime=1h"]
    deployment = one(objects, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}  # never two standalone operators at once
    assert not [o for o in objects if o["kind"] == "ClusterKopfPeering"]
    assert "kopf.dev" not in str(one(objects, "ClusterRole", "vault-access-operator-manager")["rules"])


@pytest.mark.parametrize("replicas", [2, 3])
def test_several_replicas_use_kopf_peering(replicas: int) -> None:
    objects = render({"replicaCount": replicas, "peering": {"name": "vao-peers"}})
    args = container(objects)["args"]
    assert "--peering=vao-peers" in args and "--standalone" not in args
    assert "--peering-lifetime=15" in args  # failover within 15 s, not kopf's 60 s
    assert "--peering-lifetime=30" in container(render({"replicaCount": replicas, "peering": {"lifetime": 30}}))["args"]
    assert one(objects, "Deployment")["spec"]["strategy"] == {"type": "RollingUpdate"}
    assert one(objects, "ClusterKopfPeering")["metadata"]["name"] == "vao-peers"
    rules = one(objects, "ClusterRole", "vault-access-operator-manager")["rules"]
    assert {"apiGroups": ["kopf.dev"], "resources": ["clusterkopfpeerings"],
            "verbs": ["get", "list", "watch", "patch"]} in rules


def test_both_probes_use_kopfs_liveness_endpoint() -> None:
    manager = container(render())
    health = next(p for p in manager["ports"] if p["name"] == "health")
    assert health["containerPort"] == 8080
    for probe in (manager["livenessProbe"], manager["readinessProbe"]):
        assert probe["httpGet"] == {"path": "/healthz", "port": "health"}
    assert LIVENESS.endswith(":8080/healthz")


def test_metrics_port_follows_the_values() -> None:
    manager = container(render({"metrics": {"port": 9300, "service": {"port": 8443}}}))
    assert "--metrics-port=9300" in manager["args"]
    assert {"name": "metrics", "containerPort": 9300, "protocol": "TCP"} in manager["ports"]
    objects = render({"metrics": {"enabled": False}})
    assert "--metrics-port=0" in container(objects)["args"]  # 0: the operator serves no metrics
    assert not [o for o in objects if o["kind"] in ("Service", "ServiceMonitor")]


def test_identity_comes_from_the_downward_api() -> None:
    env = {e["name"]: e for e in container(render())["env"]}
    assert env["OPERATOR_NAMESPACE"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    assert env["OPERATOR_SERVICE_ACCOUNT"]["valueFrom"] == {"fieldRef": {"fieldPath": "spec.serviceAccountName"}}
    assert env["POD_ID"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}  # kopf peering identity


def test_extra_env_is_appended() -> None:
    env = container(render(PRODUCTION))["env"]
    assert [e["name"] for e in env] == [
        "OPERATOR_NAMESPACE", "OPERATOR_SERVICE_ACCOUNT", "POD_ID", "AWS_STS_REGIONAL_ENDPOINTS", "HTTPS_PROXY",
    ]
    assert env[-1]["valueFrom"] == {"secretKeyRef": {"name": "proxy", "key": "url"}}


def test_hardened_security_context() -> None:
    spec = pod_spec()
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 65532
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    context = spec["containers"][0]["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["privileged"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    # A read-only root filesystem, with a small writable /tmp.
    assert spec["containers"][0]["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert spec["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]


@pytest.mark.parametrize(("level", "flags"), [("info", []), ("debug", ["--debug"]), ("warning", ["--quiet"])])
def test_log_level(level: str, flags: list[str]) -> None:
    args = container(render({"logLevel": level}))["args"]
    assert [a for a in args if a in ("--verbose", "--quiet", "--debug")] == flags


def test_image_defaults_to_the_app_version() -> None:
    manager = container(render())
    assert manager["image"] == "vault-access-operator:0.1.0"
    assert manager["imagePullPolicy"] == "IfNotPresent"
    assert container(render(PRODUCTION))["image"] == "registry.example.com/platform/vault-access-operator:0.1.0"
    assert pod_spec(PRODUCTION)["imagePullSecrets"] == [{"name": "registry-credentials"}]


def test_scheduling_and_pod_metadata() -> None:
    objects = render(PRODUCTION)
    template = one(objects, "Deployment")["spec"]["template"]
    spec = template["spec"]
    assert spec["nodeSelector"] == PRODUCTION["nodeSelector"]
    assert spec["tolerations"] == PRODUCTION["tolerations"]
    assert spec["affinity"] == PRODUCTION["affinity"]
    assert spec["priorityClassName"] == "system-cluster-critical"
    assert spec["containers"][0]["resources"] == PRODUCTION["resources"]
    assert template["metadata"]["annotations"] == PRODUCTION["podAnnotations"]
    assert template["metadata"]["labels"]["team"] == "platform"
    defaults = pod_spec()
    assert not {"nodeSelector", "tolerations", "affinity", "priorityClassName", "imagePullSecrets"} & defaults.keys()
    assert defaults["containers"][0]["resources"]["limits"] == {"memory": "256Mi"}


def test_extra_args_are_passed_through() -> None:
    assert container(render({"extraArgs": ["--namespace=team-a"]}))["args"][-1] == "--namespace=team-a"


def test_trust_values_become_run_flags() -> None:
    args = container(render(RESTRICTED))["args"]
    assert args[:4] == [LIVENESS, "--standalone", "--metrics-port=0", "--quiet"]
    assert args[4:] == [
        f"--secret-namespace={NAMESPACE}", "--secret-namespace=ci",
        "--token-service-account=team-a/app", "--token-service-account=team-a/ci",
        "--token-service-account=team-b/*",
        "--api-audience=https://kubernetes.default.svc",
        "--max-token-lifetime=20m",
        "--allow-mounted-token",
        "--vault-address=https://vault.example.com:8200",
    ]
    defaults = container(render())["args"]
    assert "--allow-mounted-token" not in defaults  # off unless opted in
    assert [a for a in defaults if a.startswith("--max-token-lifetime")] == ["--max-token-lifetime=1h"]


def test_trust_flags_match_the_operator_cli() -> None:
    """Every flag the chart renders is one `vault-access-operator run` accepts (names drift otherwise)."""
    from vault_access_operator.cli import run

    known = {opt for param in run.params for opt in param.opts}
    rendered = {arg.partition("=")[0] for arg in container(render(RESTRICTED))["args"]}
    trust_flags = {"--secret-namespace", "--token-service-account", "--api-audience", "--max-token-lifetime",
                   "--allow-mounted-token", "--vault-address"}
    if not known & trust_flags:
        pytest.skip("this operator has no trust flags yet (they come with the trust policy branch)")
    assert rendered - known == set()


def test_cluster_name_and_tenancy_confinement_become_flags() -> None:
    args = container(render({"clusterName": "east", "tenancy": {"confinement": "namespace"}}))["args"]
    assert "--cluster-name=east" in args and "--tenancy-confinement=namespace" in args
    defaults = container(render())["args"]  # "": each connection decides; the login mount names objects
    assert not [a for a in defaults if a.startswith(("--cluster-name", "--tenancy-confinement"))]
