"""fth kube: manifests that pass the Kubernetes schemas (strict, offline) and carry no secret."""

import base64
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from tests.fixtures.cli import http_job
from tests.fixtures.files import make_files

PASSWORD = "s3cret-never-printed"
K8S_VERSIONS = ("1.28.0", None)  # the oldest supported release the package ships, and its newest


def documents(text: str) -> Dict[str, Dict[str, Any]]:
    return {f"{doc['kind']}/{doc['metadata']['name']}": doc for doc in yaml.safe_load_all(text) if doc}


def container(docs: Dict[str, Any]) -> Dict[str, Any]:
    job = next(doc for doc in docs.values() if doc["kind"] == "Job")
    return job["spec"]["template"]["spec"]["containers"][0]


@pytest.fixture
def job_file(write_config, tmp_path, monkeypatch):
    """A job file with two source directories; ``secrets=True`` adds password_env settings."""
    monkeypatch.setenv("ORDERS_PASSWORD", PASSWORD)

    def write(secrets: bool) -> Path:
        orders = make_files(tmp_path / "data" / "orders", 3, size=200)
        invoices = make_files(tmp_path / "data" / "invoices", 2, size=100, prefix="inv")
        jobs = [http_job("orders", "http://sink.example/upload", orders),
                http_job("invoices", "http://sink.example/upload", invoices, rate="2/s")]
        if secrets:
            jobs[0]["password_env"] = "ORDERS_PASSWORD"
            jobs.append({"name": "drop", "protocol": "sftp", "username": "bob", "host": "sftp.example",
                         "source": str(orders), "rate": "1/s", "password_env": "SFTP_PASSWORD",
                         "host_key_policy": "accept-new"})
        return write_config({"duration": "30s", "jobs": jobs})

    return write


CASES = [(n, secrets, claim) for n in (1, 4, 64) for secrets in (False, True) for claim in (None, "load-data")]


def test_manifests_pass_the_kubernetes_schemas_strictly(fth_cli, job_file, tmp_path):
    """Every case in one kubernetes-validate --strict call per Kubernetes version (offline: schemas ship in it)."""
    files: List[str] = []
    for parallelism, secrets, claim in CASES:
        argv = ["kube", "-c", job_file(secrets), "--parallelism", parallelism, "--namespace", "load"]
        if claim:
            argv += ["--source-claim", claim]
        out = fth_cli(*argv).stdout
        assert PASSWORD not in out
        path = tmp_path / f"run-{parallelism}-{secrets}-{claim}.yml"
        path.write_text(out)
        files.append(str(path))
    for version in K8S_VERSIONS:
        command = [sys.executable, "-m", "kubernetes_validate", "--strict", "--quiet", *files]
        if version:
            command[3:3] = ["-k", version]
        checked = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "fail" not in (checked.stdout + checked.stderr).lower()


def test_indexed_job_runs_one_segment_per_pod_from_the_secret(fth_cli, job_file):
    config = str(job_file(True))
    before = datetime.now(timezone.utc)
    out = fth_cli("kube", "-c", config, "--parallelism", "5", "--start-in", "5m",
                  "--image", "registry.example/fth:1").stdout
    docs = documents(out)
    job = docs["Job/fth-job1"]["spec"]
    assert (job["completionMode"], job["completions"], job["parallelism"]) == ("Indexed", 5, 5)
    pod = job["template"]
    assert pod["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    box = container(docs)
    assert box["image"] == "registry.example/fth:1"
    assert box["securityContext"]["readOnlyRootFilesystem"] is True
    assert box["resources"]["requests"]["cpu"] and box["resources"]["requests"]["memory"]
    args = box["args"]
    assert box["command"] == ["fth"] and args[:2] == ["-c", config]
    assert args[args.index("--segment") + 1] == "$(JOB_COMPLETION_INDEX)/5"
    assert args[args.index("--summary-json") + 1] == "-"
    start = datetime.fromisoformat(args[args.index("--start-at") + 1])
    assert before + timedelta(minutes=5) - timedelta(seconds=1) <= start <= before + timedelta(minutes=5, seconds=5)
    env = {item["name"]: item["valueFrom"] for item in box["env"]}
    assert "job-completion-index" in env["JOB_COMPLETION_INDEX"]["fieldRef"]["fieldPath"]
    for name in ("ORDERS_PASSWORD", "SFTP_PASSWORD"):
        assert env[name] == {"secretKeyRef": {"name": "fth-job1-secrets", "key": name}}
    assert "kubectl create secret generic fth-job1-secrets" in out
    assert "kubectl logs -l job-name=fth-job1 --tail=1 | fth merge - -o total.json --html report.html" in out
    assert docs["ConfigMap/fth-job1"]["data"]["job.yml"] == Path(config).read_text()
    assert PASSWORD not in out


def test_small_source_sets_travel_in_a_configmap_mounted_at_their_paths(fth_cli, job_file):
    config = job_file(False)
    docs = documents(fth_cli("kube", "-c", config, "--parallelism", "2").stdout)
    data = docs["ConfigMap/fth-job1-sources"]["binaryData"]
    volumes = {v["name"]: v for v in docs["Job/fth-job1"]["spec"]["template"]["spec"]["volumes"]}
    received = {}
    for mount in container(docs)["volumeMounts"]:
        volume = volumes[mount["name"]]
        if mount["name"].startswith("source-"):
            assert mount["readOnly"] is True
            for item in volume["configMap"]["items"]:
                received[Path(mount["mountPath"], item["path"])] = base64.b64decode(data[item["key"]])
    sent = {path: path.read_bytes() for path in (config.parent / "data").rglob("*.dat")}
    assert received == sent


def test_a_source_claim_is_mounted_read_only_below_the_common_parent(fth_cli, job_file):
    config = job_file(False)
    out = fth_cli("kube", "-c", config, "--parallelism", "2", "--source-claim", "load-data").stdout
    docs = documents(out)
    assert "ConfigMap/fth-job1-sources" not in docs
    mounts = {m["mountPath"]: m for m in container(docs)["volumeMounts"] if m["name"] == "sources"}
    data = config.parent / "data"
    assert {path: m["subPath"] for path, m in mounts.items()} == {
        str(data / "orders"): "orders", str(data / "invoices"): "invoices"}
    assert all(m["readOnly"] for m in mounts.values())
    volume = next(v for v in docs["Job/fth-job1"]["spec"]["template"]["spec"]["volumes"] if v["name"] == "sources")
    assert volume["persistentVolumeClaim"] == {"claimName": "load-data", "readOnly": True}


def test_the_claim_need_not_exist_on_this_machine(fth_cli, write_config, tmp_path):
    config = write_config({"jobs": [http_job("far", "http://sink.example/", tmp_path / "only-in-the-cluster")]})
    fth_cli("kube", "-c", config, "--parallelism", "3", "--source-claim", "pvc")
    result = fth_cli("kube", "-c", config, "--parallelism", "3", expect=2)
    assert "only-in-the-cluster is not a directory" in result.stderr and "--source-claim" in result.stderr


def test_a_password_written_in_the_file_is_refused(fth_cli, write_config, source_dir):
    config = write_config({"jobs": [http_job("orders", "http://sink.example/", source_dir, password=PASSWORD)]})
    result = fth_cli("kube", "-c", config, "--parallelism", "2", expect=2)
    assert "job1.yml:8: jobs[0].password: is written in the file" in result.stderr and "password_env" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr


def test_key_files_are_refused_and_big_source_sets_need_a_claim(fth_cli, write_config, tmp_path):
    big = make_files(tmp_path / "big", 3, size=400_000)
    config = write_config({"jobs": [http_job("big", "http://sink.example/", big)]})
    result = fth_cli("kube", "-c", config, "--parallelism", "2", expect=2)
    assert "about 1 MiB" in result.stderr and "--source-claim" in result.stderr
    key = tmp_path / "client.key"
    key.write_text("not really a key")
    config = write_config({"jobs": [http_job("tls", "https://sink.example/", big, cert_file=str(key),
                                             key_file=str(key))]})
    result = fth_cli("kube", "-c", config, "--parallelism", "2", expect=2)
    assert "job tls: key_file names a local file" in result.stderr
    db = {"driver": "mysql", "database": "tracking", "ssl_ca": str(key)}
    config = write_config({"tracking": {"ingress": db, "egress": db},
                           "jobs": [http_job("plain", "http://sink.example/", big)]})
    result = fth_cli("kube", "-c", config, "--parallelism", "2", "--source-claim", "data", expect=2)
    assert "tracking ingress: ssl_ca names a local file" in result.stderr


def test_strict_sftp_host_keys_are_warned_about(fth_cli, write_config, source_dir, monkeypatch):
    monkeypatch.setenv("SFTP_PASSWORD", PASSWORD)
    config = write_config({"jobs": [{"name": "drop", "protocol": "sftp", "username": "bob", "host": "sftp.example",
                                     "source": str(source_dir), "rate": "1/s", "password_env": "SFTP_PASSWORD"}]})
    result = fth_cli("kube", "-c", config, "--parallelism", "2")
    assert "job drop: host_key_policy strict needs known_hosts" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr


def test_a_run_without_an_end_is_warned_about(fth_cli, write_config, source_dir):
    config = write_config({"jobs": [http_job("endless", "http://sink.example/", source_dir)]})
    result = fth_cli("kube", "-c", config, "--parallelism", "2")
    assert "job endless has no count: the pods send until the Job is deleted" in result.stderr
    config = write_config({"jobs": [http_job("counted", "http://sink.example/", source_dir, count=100)]})
    assert "no count" not in fth_cli("kube", "-c", config, "--parallelism", "2").stderr


def test_usage_errors(fth_cli, job_file):
    assert "--parallelism" in fth_cli("kube", "-c", job_file(False), expect=2).stderr
    assert "1 to 10000" in fth_cli("kube", "-c", job_file(False), "--parallelism", "0", expect=2).stderr
    result = fth_cli("kube", "-c", job_file(False), "--parallelism", "2", "--namespace", "Load_Test", expect=2)
    assert "'Load_Test' is not a Kubernetes namespace" in result.stderr


@pytest.mark.parametrize("flag, value, message", [
    ("--start-in", "400d", "'400d' is more than a year ahead: every pod would refuse its --start-at"),
    ("--namespace", "n" * 64, "is not a Kubernetes namespace"),
    ("--namespace", "load.test", "is not a Kubernetes namespace"),
    ("--image", "", "'' is not a container image"),
    ("--image", "x y", "'x y' is not a container image"),
    ("--image", 'a"b: c', "is not a container image"),
])
def test_what_every_pod_or_the_cluster_would_refuse_is_refused_here(fth_cli, job_file, flag, value, message):
    """Each of these printed manifests with exit 0 that the pods (a start over a year ahead) or the cluster (a
    namespace over 63 characters, an image with blanks or quotes) refuse."""
    result = fth_cli("kube", "-c", job_file(False), "--parallelism", "2", flag, value, expect=2)
    assert message in result.stderr and "apiVersion" not in result.stdout


def test_a_start_within_the_year_and_an_image_with_registry_tag_and_digest_are_accepted(fth_cli, job_file):
    image = "registry.local:5000/team/fth:0.1@sha256:" + "a" * 64
    result = fth_cli("kube", "-c", job_file(False), "--parallelism", "2", "--start-in", "300d", "--image", image,
                     "--namespace", "n" * 63)
    assert f"image: {image}" in result.stdout and "--start-at" in result.stdout


def test_the_containerfile_copies_what_exists_and_runs_as_the_pods_user():
    root = Path(__file__).parent.parent
    text = (root / "contrib" / "container" / "Containerfile").read_text()
    copied = [word for line in text.splitlines() if line.startswith("COPY ") and "--from" not in line
              for word in line.split()[1:-1]]
    assert copied and all((root / word).exists() for word in copied), copied
    assert text.count("FROM docker.io/library/python:") == 2
    assert "USER 10001:10001" in text and 'ENTRYPOINT ["fth"]' in text
