"""The pods of ``fth kube`` as local processes: their summaries merged equal what the sink received.

Each pod's command line is taken from the generated Job and expanded as the kubelet does
(``$(VAR)`` from the container's environment: the completion index, the Secret's values).
Only the ``--web`` address changes: pods have a network namespace each, local processes share one.
The sink runs in this process on gevent; the pods are started with gevent's subprocess, and
their stdout and stderr are read together, as ``kubectl logs`` shows them.
"""

import base64
import json
import os
import re
import subprocess
import sys
from typing import Any, Dict, List

import yaml

from tests.fixtures.cli import http_job

PODS = 3
FILES = 30  # the job's count, split over the pods
SECRETS = {"SINK_PASSWORD": "pods-read-me-from-a-secret"}


def pod_environment(container: Dict[str, Any], index: int) -> Dict[str, str]:
    env = {}
    for item in container["env"]:
        source = item["valueFrom"]
        if "fieldRef" in source:
            assert source["fieldRef"]["fieldPath"].endswith("['batch.kubernetes.io/job-completion-index']")
            env[item["name"]] = str(index)
        else:
            env[item["name"]] = SECRETS[source["secretKeyRef"]["key"]]
    return env


def pod_command(container: Dict[str, Any], env: Dict[str, str]) -> List[str]:
    words = [re.sub(r"\$\((\w+)\)", lambda match: env[match.group(1)], word)
             for word in container["command"] + container["args"]]
    words[words.index("--web") + 1] = "127.0.0.1:0"
    assert words[0] == "fth"
    return [sys.executable, "-m", "fth", *words[1:]]


def test_pods_run_as_processes_merge_to_what_the_sink_received(fth_cli, write_config, http_server, source_dir,
                                                               tmp_path, monkeypatch):
    job = http_job("orders", http_server.url, source_dir, rate="30/s", count=FILES, password_env="SINK_PASSWORD")
    config = write_config({"jobs": [job]})
    manifests = fth_cli("kube", "-c", config, "--parallelism", PODS, "--start-in", "3s").stdout
    indexed_job = next(doc for doc in yaml.safe_load_all(manifests) if doc and doc["kind"] == "Job")
    container = indexed_job["spec"]["template"]["spec"]["containers"][0]
    collect = re.search(r"kubectl logs -l job-name=\S+ --tail=1 \| (fth merge - .*)", manifests).group(1).split()
    work = tmp_path / "work"
    work.mkdir()

    monkeypatch.delenv("SINK_PASSWORD", raising=False)  # the pods get it from their environment only
    pods = []
    for index in range(PODS):
        env = pod_environment(container, index)
        pods.append(subprocess.Popen(pod_command(container, env), cwd=work, env={**os.environ, **env},
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    logs = [pod.communicate(timeout=90)[0] for pod in pods]
    assert [pod.returncode for pod in pods] == [0] * PODS, logs
    last_lines = [log.rstrip("\n").split("\n")[-1] for log in logs]  # kubectl logs --tail=1

    assert collect[:3] == ["fth", "merge", "-"]
    merge = subprocess.run([sys.executable, "-m", "fth", *collect[1:]], cwd=tmp_path, capture_output=True,
                           text=True, input="\n".join(last_lines) + "\n", timeout=60)
    assert merge.returncode == 0, merge.stderr
    total = json.loads((tmp_path / "total.json").read_text())
    assert (tmp_path / "report.html").read_text().startswith("<!")

    received = http_server.requests
    assert len(received) == FILES
    assert total["total"]["attempted"] == total["total"]["succeeded"] == FILES
    assert total["total"]["bytes"] == sum(len(request.body) for request in received)
    assert sorted(json.loads(line)["segment"] for line in last_lines) == [f"{i}/{PODS}" for i in range(PODS)]
    credentials = base64.b64encode(f"user-orders:{SECRETS['SINK_PASSWORD']}".encode()).decode()
    assert {request.headers.get("Authorization") for request in received} == {f"Basic {credentials}"}
