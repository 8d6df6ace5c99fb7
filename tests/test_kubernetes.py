"""The Kubernetes manifests in deploy/jupyterhub/kubernetes/, offline: each is valid for the
Kubernetes API (the schemas kubernetes-validate ships, strict: no unknown field passes), and the
grading Job keeps the sandbox's guarantees in its pod spec. Nothing here talks to a cluster."""
import copy

import kubernetes_validate
import pytest
import yaml

from labs.grading.sandbox import PASSED_VARIABLES
from tests.conftest import REPO

KUBERNETES = REPO / "deploy" / "jupyterhub" / "kubernetes"
API_VERSION = "1.33"  # the oldest release the Job's fields (hostUsers, appArmorProfile) need
HELM_VALUES = "config.yaml"  # Zero to JupyterHub's values, not a resource: tests/test_jupyterhub.py checks it
MANIFESTS = sorted(path for path in KUBERNETES.glob("*.yaml") if path.name != HELM_VALUES)


def _resources(path):
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _grading():
    resources = {doc["kind"]: doc for doc in _resources(KUBERNETES / "grading-job.yaml")}
    resources.update({doc["kind"]: doc for doc in _resources(KUBERNETES / "grading-networkpolicy.yaml")})
    return resources


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda path: path.name)
def test_every_manifest_is_valid_for_the_kubernetes_api(path):
    for resource in _resources(path):
        kubernetes_validate.validate(resource, API_VERSION, strict=True)


@pytest.mark.parametrize("mistake", ["a misspelled field", "a wrong type"])
def test_the_validator_rejects_a_broken_job(mistake):
    job = copy.deepcopy(_grading()["Job"])
    if mistake == "a misspelled field":
        job["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFS"] = True
    else:
        job["spec"]["parallelism"] = "eight"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, API_VERSION, strict=True)


def test_the_grading_pods_keep_the_sandboxs_guarantees():
    resources = _grading()
    pod = resources["Job"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] != 0
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "privileged": False, "capabilities": {"drop": ["ALL"]}}
    assert pod["automountServiceAccountToken"] is False  # a learner's escape would find no cluster credentials
    assert pod["restartPolicy"] == "Never"  # a replacement is a new pod, a new host: claims expire by lease
    limits = container["resources"]["limits"]
    assert {"cpu", "memory", "ephemeral-storage"} <= set(limits)
    # the only writable places: the course directory (the grader's home), and /tmp
    writable = {m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")}
    assert writable == {"/home/jovyan", "/tmp"}

    # nothing in, and out only DNS and the gradebook, for exactly these pods
    policy = resources["NetworkPolicy"]["spec"]
    assert policy["podSelector"]["matchLabels"] == resources["Job"]["spec"]["template"]["metadata"]["labels"]
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"} and policy["ingress"] == []
    ports = {(port["protocol"], port["port"]) for rule in policy["egress"] for port in rule["ports"]}
    assert ports == {("TCP", 5432), ("UDP", 53), ("TCP", 53)}


def test_each_pod_runs_labs_grade_with_a_lease_on_the_shared_gradebook():
    resources = _grading()
    (container,) = resources["Job"]["spec"]["template"]["spec"]["containers"]
    command = container["command"]
    assert command[:4] == ["labs", "--course-dir", "/home/jovyan/ai-safety-labs", "grade"]
    assert command[command.index("--workers") + 1] == "1"  # one learner per pod at a time: the limits fit one
    assert int(command[command.index("--lease") + 1]) >= 60
    env = {variable["name"]: variable for variable in container["env"]}
    assert env["LABS_GRADEBOOK_URL"]["valueFrom"]["secretKeyRef"]["key"] == "url"
    assert "LABS_GRADEBOOK_URL" not in PASSED_VARIABLES  # the kernels never get the gradebook's password
    config = resources["ConfigMap"]["data"]["nbgrader_config.py"]
    assert 'c.CourseDirectory.db_url = os.environ["LABS_GRADEBOOK_URL"]' in config
