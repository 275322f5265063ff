"""``fth kube``: the Kubernetes manifests that run one job file as N segments of an Indexed Job.

Printed, not applied: a ConfigMap with the job file (and, for small sets, one with the
source files), and an Indexed Job whose pod I runs ``fth -c FILE --segment I/N
--start-at T --summary-json -``. Passwords stay out of both: every ``*_env`` setting
of the job file becomes a ``secretKeyRef`` into one Secret the user creates, and a
password written in the file is refused. Inside the pods the job file and each source
directory sit at the same absolute paths as on this machine, so the loader resolves
every path in the file exactly as it does here.
"""

import argparse
import base64
import logging
import os
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List, Optional, Sequence

import yaml

from fth import __version__
from fth.cli import add_logging_options, duration_arg, new_parser
from fth.config import RunConfig, load_run_config
from fth.config.reader import load_yaml
from fth.engine.source import list_files
from fth.errors import ConfigError, UsageError
from fth.log import setup_logging
from fth.startat import MAX_AHEAD
from fth.status import ExitStatus

log = logging.getLogger(__name__)

SECRET_KEYS = ("password", "key_passphrase", "secret_key")  # the settings read with Section.secret
# local files fth kube does not carry into pods (job TLS/SSH files, tracking TLS files)
LOCAL_FILE_KEYS = ("key_file", "cert_file", "ca_file", "ssl_ca", "ssl_cert", "ssl_key")
METRICS_PORT = 8080  # fth-web's own default port
WORK_DIR = "/var/lib/fth"  # an emptyDir, the working directory: the pod's only writable place
CONFIGMAP_LIMIT = 1_000_000  # bytes; Kubernetes stores at most 1 MiB per object
PLACEHOLDER = "set-by-the-pod's-secret"
_DNS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def _positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= number <= 10_000:
        raise argparse.ArgumentTypeError(f"{text!r}: expected 1 to 10000 pods")
    return number


def _dns_name(text: str) -> str:
    """A Kubernetes object name (RFC 1123 subdomain): lower-case letters, digits, '-' and '.'."""
    if not _DNS_NAME.match(text) or len(text) > 253:
        raise argparse.ArgumentTypeError(f"{text!r} is not a Kubernetes name; expected lower-case letters, digits "
                                         "and '-', such as load-test")
    return text


def _namespace(text: str) -> str:
    """A Kubernetes namespace (RFC 1123 label): lower-case letters, digits and '-', at most 63."""
    if not _DNS_LABEL.match(text):
        raise argparse.ArgumentTypeError(f"{text[:80]!r} is not a Kubernetes namespace; expected at most 63 lower-case "
                                         "letters, digits and '-', such as load-test")
    return text


def _image(text: str) -> str:
    """A container image reference: [registry/]name[:tag][@digest], no blanks or quotes (they would break the
    manifest's YAML or the pull)."""
    if not _IMAGE.match(text):
        raise argparse.ArgumentTypeError(f"{text[:80]!r} is not a container image; expected a reference such as "
                                         "registry.local/fth:0.1")
    return text


def _start_in(text: str) -> float:
    """--start-in: a duration after which each pod's --start-at is still accepted (at most a year ahead)."""
    seconds = float(duration_arg(text))
    if seconds > MAX_AHEAD - 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is more than a year ahead: every pod would refuse its --start-at")
    return seconds


_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,254}$")


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("fth kube", "Print the Kubernetes manifests (ConfigMap + Indexed Job) that run a job file "
                                    "as N segments, started together; apply them with kubectl apply -f -.")
    parser.add_argument("-c", "--config", metavar="FILE", env_var="FTH_CONFIG", required=True,
                        help="the job file the pods run")
    parser.add_argument("--parallelism", type=_positive_int, metavar="N", required=True,
                        help="how many pods (segments) run the job file together")
    parser.add_argument("--image", type=_image, metavar="IMAGE", default=f"fth:{__version__}",
                        help="the container image (built from contrib/container/Containerfile); default %(default)s")
    parser.add_argument("--namespace", type=_namespace, metavar="NS", help="put the objects in this namespace")
    parser.add_argument("--start-in", type=_start_in, metavar="TIME", default=60.0,
                        help="the segments start together this long after now (time to apply and pull the "
                             "image); default 60s")
    parser.add_argument("--source-claim", type=_dns_name, metavar="NAME",
                        help="mount the source directories from this PersistentVolumeClaim (read-only) "
                             "instead of carrying the files in a ConfigMap")
    add_logging_options(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    setup_logging(args.verbose, args.quiet, args.log_file, args.no_color)
    plan = make_plan(args.config, args.parallelism, image=args.image, namespace=args.namespace,
                     start_at=datetime.now(timezone.utc) + timedelta(seconds=args.start_in),
                     source_claim=args.source_claim)
    sys.stdout.write(render(plan))
    return ExitStatus.SUCCESS


@dataclass
class Plan:
    """What the manifests say: one run of ``config_path`` as ``parallelism`` segments."""

    name: str
    config_path: str  # absolute: the pods see the job file at the same path
    parallelism: int
    image: str
    start_at: datetime
    namespace: Optional[str] = None
    secret_envs: List[str] = field(default_factory=list)  # environment variables filled from the Secret
    source_dirs: List[str] = field(default_factory=list)  # absolute, distinct
    source_claim: Optional[str] = None
    source_files: Dict[str, List[str]] = field(default_factory=dict)  # dir → files (ConfigMap mode)

    @property
    def secret_name(self) -> str:
        return f"{self.name}-secrets"

    @property
    def sources_name(self) -> str:
        return f"{self.name}-sources"

    def command(self) -> List[str]:
        """The pod's command line; ``$(JOB_COMPLETION_INDEX)`` is expanded by the kubelet."""
        return ["fth", "-c", self.config_path, "--segment", f"$(JOB_COMPLETION_INDEX)/{self.parallelism}",
                "--start-at", self.start_at.isoformat(timespec="seconds"), "--summary-json", "-",
                "--web", f"0.0.0.0:{METRICS_PORT}", "--no-color"]


def make_plan(config_path: str, parallelism: int, *, image: str, start_at: datetime,
              namespace: Optional[str] = None, source_claim: Optional[str] = None) -> Plan:
    path = os.path.abspath(config_path)
    secret_envs = secret_references(path)
    with _placeholders(secret_envs):  # the values live in the cluster; only their names matter here
        config = load_run_config(path, check_paths=False)
    _refuse_local_files(config)
    endless = [job.name for job in config.jobs if job.count is None and job.ramp is None]
    if config.duration is None and endless:
        log.warning("the job file sets no duration and job %s has no count: the pods send until the Job is "
                    "deleted, and print no summary to merge (set duration: or count:)", endless[0])
    dirs = list(dict.fromkeys(job.source.path for job in config.jobs))
    plan = Plan(name=object_name(path), config_path=path, parallelism=parallelism, image=image,
                start_at=start_at.replace(microsecond=0), namespace=namespace, secret_envs=secret_envs,
                source_dirs=dirs, source_claim=source_claim)
    if source_claim is None:
        for job in config.jobs:
            if job.source.path not in plan.source_files:
                plan.source_files[job.source.path] = _files_of(job.name, job.source)
    return plan


def object_name(config_path: str) -> str:
    """``fth-<file stem>`` as a DNS label short enough for the pods' host names."""
    stem = re.sub(r"[^a-z0-9-]+", "-", os.path.splitext(os.path.basename(config_path))[0].lower()).strip("-")
    return f"fth-{stem}"[:40].rstrip("-") or "fth"


def secret_references(config_path: str) -> List[str]:
    """The environment variables named by ``*_env`` settings; a password written in the file is refused."""
    found: List[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{where}[{index}]")
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            name = f"{where}.{key}" if where else str(key)
            if key in SECRET_KEYS and value not in (None, ""):
                raise ConfigError("is written in the file, and fth kube never puts a secret into a ConfigMap",
                                  file=config_path, line=getattr(node, "key_lines", {}).get(key), key=name,
                                  hint=f"use {key}_env: VARIABLE instead; the pods read VARIABLE from a Secret")
            if str(key).endswith("_env") and str(key)[:-4] in SECRET_KEYS and isinstance(value, str):
                found.append(value)
            walk(value, name)

    walk(load_yaml(config_path), "")
    return list(dict.fromkeys(found))


@contextmanager
def _placeholders(names: Sequence[str]) -> Iterator[None]:
    missing = [name for name in names if name not in os.environ]
    os.environ.update(dict.fromkeys(missing, PLACEHOLDER))
    try:
        yield
    finally:
        for name in missing:
            del os.environ[name]


def _refuse_local_files(config: RunConfig) -> None:
    holders = [(f"job {job.name}", job) for job in config.jobs]
    if config.tracking:
        holders += [(f"tracking {db.role}", db) for db in (config.tracking.ingress, config.tracking.egress)]
    for where, holder in holders:
        for key in LOCAL_FILE_KEYS:
            if getattr(holder, key, None):
                raise UsageError(f"{where}: {key} names a local file, and fth kube carries only the job "
                                 "file, its sources and its secrets into the pods",
                                 hint="run it with fth on a machine that holds the file")
    for job in config.jobs:
        if job.protocol == "sftp" and getattr(job, "host_key_policy", "") == "strict":
            log.warning("job %s: host_key_policy strict needs known_hosts (%s) inside the pods, and fth kube does "
                        "not carry it (host_key_policy: accept-new trusts the key the server shows first)",
                        job.name, getattr(job, "known_hosts", ""))


def _files_of(job_name: str, source: Any) -> List[str]:
    if not os.path.isdir(source.path):
        raise UsageError(f"job {job_name}: source {source.path} is not a directory on this machine, so its files "
                         "cannot go into a ConfigMap", hint="put them on a volume and use --source-claim NAME")
    return list_files(source)


# -- manifests --------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Multi-line text (the job file) as a literal block, so the ConfigMap reads like the file."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _text)


def render(plan: Plan) -> str:
    documents = [config_map(plan)]
    if plan.source_claim is None:
        documents.append(sources_config_map(plan))
    documents.append(indexed_job(plan))
    body = "---\n".join(yaml.dump(doc, Dumper=_Dumper, sort_keys=False, width=1000) for doc in documents)
    return "".join(f"# {line}".rstrip() + "\n" for line in instructions(plan)) + "---\n" + body


def instructions(plan: Plan) -> List[str]:
    ns = f" -n {plan.namespace}" if plan.namespace else ""
    start = plan.start_at.isoformat(timespec="seconds")
    lines = [f"fth kube {__version__}: {plan.config_path} as {plan.parallelism} segment(s) of Indexed Job "
             f"{plan.name}, starting together at {start}",
             "",
             f"1. The image {plan.image} is built from contrib/container/Containerfile; push it where the "
             "cluster pulls from (--image)."]
    if plan.secret_envs:
        lines += ["2. Create the Secret the pods read their passwords from (the values never appear here):",
                  f"     kubectl create secret generic {plan.secret_name}{ns} \\"]
        last = len(plan.secret_envs) - 1
        lines += [f"       --from-literal={name}=..." + (" \\" if i < last else "")
                  for i, name in enumerate(plan.secret_envs)]
    else:
        lines.append("2. The job file reads no secrets (*_env settings would become secretKeyRefs).")
    if plan.source_claim:
        lines.append(f"3. The PersistentVolumeClaim {plan.source_claim} holds the source files, mounted read-only:")
        lines += [f"     {sub or '(its root)'} → {path}" for path, sub in _claim_paths(plan)]
    else:
        count = sum(len(files) for files in plan.source_files.values())
        lines.append(f"3. The {count} source file(s) travel in the ConfigMap {plan.sources_name} "
                     "(for larger sets: --source-claim NAME).")
    lines += [f"4. Apply before {start} (later pods start late; generate again for a new start time):",
              f"     kubectl apply{ns} -f run.yml      (run.yml: this output, saved)",
              f"5. Wait: kubectl wait{ns} --for=condition=complete job/{plan.name} --timeout=24h",
              "6. Merge the segments' summaries (the last line each pod prints):",
              f"     kubectl logs{ns} -l job-name={plan.name} --tail=1 | fth merge - -o total.json --html report.html",
              f"Prometheus scrapes each pod's /metrics on port {METRICS_PORT} (prometheus.io/* annotations).",
              f"To run again: kubectl delete{ns} job/{plan.name}, then generate and apply again."]
    return lines


def _metadata(plan: Plan, name: str) -> Dict[str, Any]:
    meta: Dict[str, Any] = {"name": name}
    if plan.namespace:
        meta["namespace"] = plan.namespace
    meta["labels"] = _labels(plan)
    return meta


def _labels(plan: Plan) -> Dict[str, str]:
    return {"app.kubernetes.io/name": "fth", "app.kubernetes.io/instance": plan.name}


def config_map(plan: Plan) -> Dict[str, Any]:
    with open(plan.config_path, encoding="utf-8") as source:
        text = source.read()
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _metadata(plan, plan.name),
            "data": {"job.yml": text}}


def sources_config_map(plan: Plan) -> Dict[str, Any]:
    binary: Dict[str, str] = {}
    for number, files in enumerate(plan.source_files.values()):
        for index, path in enumerate(files):
            with open(path, "rb") as source:
                binary[f"s{number}-{index}"] = base64.b64encode(source.read()).decode("ascii")
    size = sum(len(value) for value in binary.values())
    if size > CONFIGMAP_LIMIT:
        raise UsageError(f"the source files take {size:,} bytes in a ConfigMap; Kubernetes allows about 1 MiB",
                         hint="put them on a volume and use --source-claim NAME")
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _metadata(plan, plan.sources_name),
            "binaryData": binary}


def _claim_paths(plan: Plan) -> List[Any]:
    """(source directory, its subPath in the claim): the directories as laid out below their common parent."""
    common = os.path.commonpath(plan.source_dirs)
    return [(path, "" if path == common else os.path.relpath(path, common)) for path in plan.source_dirs]


def _volumes(plan: Plan) -> List[Dict[str, Any]]:
    volumes = [{"name": "job-file", "configMap": {"name": plan.name}}, {"name": "work", "emptyDir": {}}]
    if plan.source_claim:
        volumes.append({"name": "sources",
                        "persistentVolumeClaim": {"claimName": plan.source_claim, "readOnly": True}})
    else:
        for number, (directory, files) in enumerate(plan.source_files.items()):
            items = [{"key": f"s{number}-{index}", "path": os.path.relpath(path, directory)}
                     for index, path in enumerate(files)]
            volumes.append({"name": f"source-{number}", "configMap": {"name": plan.sources_name, "items": items}})
    return volumes


def _mounts(plan: Plan) -> List[Dict[str, Any]]:
    mounts: List[Dict[str, Any]] = [
        {"name": "job-file", "mountPath": plan.config_path, "subPath": "job.yml", "readOnly": True},
        {"name": "work", "mountPath": WORK_DIR},
    ]
    if plan.source_claim:
        for path, sub in _claim_paths(plan):
            mount = {"name": "sources", "mountPath": path, "readOnly": True}
            if sub:
                mount["subPath"] = sub
            mounts.append(mount)
    else:
        mounts += [{"name": f"source-{number}", "mountPath": directory, "readOnly": True}
                   for number, directory in enumerate(plan.source_files)]
    return mounts


def _env(plan: Plan) -> List[Dict[str, Any]]:
    index = {"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
        "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}}
    secrets = [{"name": name, "valueFrom": {"secretKeyRef": {"name": plan.secret_name, "key": name}}}
               for name in plan.secret_envs]
    return [index, *secrets]


def indexed_job(plan: Plan) -> Dict[str, Any]:
    command = plan.command()
    container = {
        "name": "fth",
        "image": plan.image,
        "command": command[:1],
        "args": command[1:],
        "workingDir": WORK_DIR,
        "env": _env(plan),
        "ports": [{"name": "metrics", "containerPort": METRICS_PORT}],
        "resources": {"requests": {"cpu": "1", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": _mounts(plan),
    }
    pod = {
        "metadata": {"labels": _labels(plan), "annotations": {
            "prometheus.io/scrape": "true", "prometheus.io/port": str(METRICS_PORT), "prometheus.io/path": "/metrics"}},
        "spec": {
            "restartPolicy": "Never",
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [container],
            "volumes": _volumes(plan),
        },
    }
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": _metadata(plan, plan.name), "spec": {
        "completionMode": "Indexed",
        "completions": plan.parallelism,
        "parallelism": plan.parallelism,
        "backoffLimit": 0,  # a segment that ran twice would count its transfers twice
        "template": pod,
    }}


__all__ = ["Plan", "build_parser", "make_plan", "object_name", "render", "run", "secret_references"]
