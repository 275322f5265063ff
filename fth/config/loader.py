"""Build a :class:`RunConfig` from a YAML file, rejecting anything invalid up front."""

import logging
import os
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from fth.config.model import (
    DEFAULT_COLUMNS,
    DbConfig,
    HttpJobConfig,
    JobConfig,
    Ramp,
    RampStage,
    RunConfig,
    SftpJobConfig,
    SourceConfig,
    StopCondition,
    TrackingConfig,
    job_groups,
)
from fth.config.reader import (
    MarkedDict,
    Section,
    as_bool,
    as_duration,
    as_path,
    as_port,
    as_positive_int,
    as_rate,
    as_text,
    load_yaml,
)
from fth.config.web import parse_web
from fth.errors import ConfigError
from fth.paths import target_store
from fth.templates import check_template
from fth.units import DURATION_EXAMPLES, RATE_EXAMPLES, parse_duration

PROTOCOLS = ("http", "sftp")
MODES = ("wait", "fire")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SQL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
log = logging.getLogger(__name__)


def load_run_config(path: str, overrides: Sequence[str] = (), *, check_paths: bool = True,
                    require_jobs: bool = True) -> RunConfig:
    """Read and validate the run described by the YAML file at ``path``.

    ``overrides`` are ``KEY=VALUE`` strings from ``--set``: ``duration=5m`` for a
    run-level key, ``JOB.KEY=VALUE`` for one job, ``*.KEY=VALUE`` for every job.
    ``check_paths=False`` skips checks of local files (source directories, keys),
    for tools such as fth-report that read the jobs but send nothing.
    ``require_jobs=False`` accepts a file without jobs (fth-web needs only ``tracking:``/``web:``).
    """
    data = load_yaml(path)
    _apply_overrides(data, overrides, path)
    return parse_run_config(data, path, check_paths=check_paths, require_jobs=require_jobs)


def parse_run_config(data: MarkedDict, path: Optional[str], *, check_paths: bool = True,
                     require_jobs: bool = True) -> RunConfig:
    top = Section(data, file=path)
    jobs_raw = top.items("jobs")
    if not jobs_raw and require_jobs:
        raise top.error("jobs", "at least one job is required",
                        expected="a list of jobs, each with name, protocol, username, source and rate")
    job_lines = getattr(data.get("jobs"), "item_lines", [top.line_of("jobs")] * len(jobs_raw))
    jobs = [_parse_job(raw, path, index, job_lines[index], check_paths) for index, raw in enumerate(jobs_raw)]
    seen: Dict[str, int] = {}
    for job in jobs:
        if job.name in seen:
            raise ConfigError("job names must be unique", file=path, line=job.line,
                              key=f"jobs[{len(seen)}].name", value=job.name,
                              hint=f"the first job named {job.name!r} is at line {seen[job.name]}")
        seen[job.name] = job.line or 0
    for group in job_groups(jobs):
        if len(group.jobs) > 1:
            log.warning("%s: jobs %s share username %r: tracking rows carry only the username, so reports "
                        "show them as one group %r", path or "config", ", ".join(group.jobs), group.username,
                        group.name)
    tracking_section = top.section("tracking")  # read even when absent, so that a misspelt key suggests it
    tracking = parse_tracking(tracking_section) if top.has("tracking") else None
    config = RunConfig(
        path=path,
        jobs=jobs,
        duration=top.get("duration", as_duration, default=None, expected=DURATION_EXAMPLES),
        stop_timeout=top.get("stop_timeout", parse_duration, default=30.0, expected=DURATION_EXAMPLES),
        interval=top.get("interval", as_duration, default=10.0, expected=DURATION_EXAMPLES),
        summary_json=top.get("summary_json", as_path, default=None),
        transfer_log=top.get("transfer_log", as_path, default=None),
        log_file=top.get("log_file", as_path, default=None),
        tracking=tracking,
        web=parse_web(top.section("web").data, path, tracking is not None, parse_db),
    )
    top.done()
    return config


def _name(value: Any) -> str:
    text = as_text(value)
    if not _NAME.match(text):
        raise ValueError("may hold only letters, digits, '.', '_' and '-'")
    return text


MAX_WORKERS = 10_000


def _workers(value: Any) -> int:
    count = as_positive_int(value)
    if count > MAX_WORKERS:
        raise ValueError(f"is more than {MAX_WORKERS:,} senders; for many transfers at once use mode: fire "
                         "with max_in_flight")
    return count


def _template(value: Any) -> str:
    text = as_text(value) if not isinstance(value, (int, float)) else str(value)
    check_template(text)
    return text


def _string_map(section: Section, key: str) -> Dict[str, str]:
    sub = section.section(key)
    result = {}
    for name in list(sub.data):
        result[str(name)] = sub.get(name, _template, expected="text, optionally with {uuid}, {filename}, ...")
    return result


_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _headers(job: Section) -> Dict[str, str]:
    """Header templates; CR, LF and NUL cannot be written into a request, not even by the config."""
    headers = _string_map(job, "headers")
    sub = job.section("headers")
    for name, value in headers.items():
        if not _HEADER_NAME.match(name):
            raise sub.error(name, "is not a valid header name", expected="letters, digits and -")
        if any(char in value for char in "\r\n\0"):
            raise sub.error(name, "holds CR, LF or NUL", expected="a header value on one line")
    return headers


def _parse_source(job: Section, check_paths: bool) -> SourceConfig:
    if not job.has("source"):
        raise job.error("source", "is required", expected="a directory of files to send")
    raw = job.data.get("source")
    if not isinstance(raw, dict):
        source = SourceConfig(path=job.get("source", _local(job)))
        return _check_source(source, job, "source") if check_paths else source
    sub = job.section("source")
    source = SourceConfig(
        path=sub.get("path", _local(sub), expected="a directory of files to send"),
        pattern=sub.get("pattern", as_text, default="*"),
        recursive=sub.get("recursive", as_bool, default=False),
        order=sub.get("order", choices=("sequential", "random"), default="sequential"),
        loop=sub.get("loop", as_bool, default=True),
    )
    sub.done()
    return _check_source(source, sub, "path") if check_paths else source


def _check_source(source: SourceConfig, where: Section, key: str) -> SourceConfig:
    if not os.path.isdir(source.path):
        problem = "is not a directory" if os.path.exists(source.path) else "directory does not exist"
        raise where.error(key, problem, value=source.path, expected="a directory of files to send")
    return source


def _parse_ramp(job: Section, start: Optional[float]) -> Optional[Ramp]:
    if not job.has("ramp"):
        return None
    raw = job.data.get("ramp")
    if isinstance(raw, list):
        return _ramp_stages(job, "ramp", job.items("ramp"), start)
    sub = job.section("ramp")
    if sub.has("stages"):
        ramp = _ramp_stages(sub, "stages", sub.items("stages"), start)
        sub.done()
        return ramp
    first = sub.get("start", as_rate, expected=RATE_EXAMPLES)
    step = sub.get("step", as_rate, expected=RATE_EXAMPLES)
    every = sub.get("every", as_duration, expected=DURATION_EXAMPLES)
    until = sub.get("until", as_rate, expected=RATE_EXAMPLES)
    sub.done()
    if until < first:
        raise sub.error("until", "must not be below start", value=sub.data.get("until"))
    stages: List[RampStage] = [RampStage(first, every)]
    rate = first
    while rate + step <= until * (1 + 1e-9):
        rate += step
        stages += [RampStage(rate, 0.0), RampStage(rate, every)]
    return Ramp(start=first, stages=tuple(stages))


def _ramp_stages(parent: Section, key: str, raw_stages: List[Any], start: Optional[float]) -> Ramp:
    if not raw_stages:
        raise parent.error(key, "needs at least one stage", expected="- {to: 10/s, over: 1m} or - {hold: 2m}")
    lines = getattr(parent.data.get(key), "item_lines", [])
    stages: List[RampStage] = []
    rate = start if start is not None else 0.0
    for index, raw in enumerate(raw_stages):
        stage = Section(raw, file=parent.file, prefix=f"{parent.key_path(key)}[{index}]",
                        line=lines[index] if index < len(lines) else parent.line)
        if stage.has("hold"):
            stages.append(RampStage(rate, stage.get("hold", as_duration, expected=DURATION_EXAMPLES)))
        else:
            rate = stage.get("to", _rate_or_zero, expected=RATE_EXAMPLES)
            stages.append(RampStage(rate, stage.get("over", parse_duration, expected=DURATION_EXAMPLES)))
        stage.done()
    if not sum(stage.duration for stage in stages) > 0:
        raise parent.error(key, "lasts 0 s, so the job would send nothing",
                           expected="a stage longer than 0s: - {to: 10/s, over: 1m} or - {hold: 2m}")
    return Ramp(start=start if start is not None else 0.0, stages=tuple(stages))


def _rate_or_zero(value: Any) -> float:
    return 0.0 if str(value).strip() in ("0", "0/s") else as_rate(value)


def _percent(value: Any) -> float:
    text = str(value).strip()
    number = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    if not 0 <= number <= 1:
        raise ValueError("must be between 0% and 100%")
    return number


def _parse_stop_on(job: Section) -> List[StopCondition]:
    conditions = []
    raw_list = job.items("stop_on")
    lines = getattr(job.data.get("stop_on"), "item_lines", [])
    for index, raw in enumerate(raw_list):
        sub = Section(raw, file=job.file, prefix=f"{job.key_path('stop_on')}[{index}]",
                      line=lines[index] if index < len(lines) else job.line)
        window = sub.get("window", as_duration, default=60.0, expected=DURATION_EXAMPLES)
        min_count = sub.get("min_count", as_positive_int, default=10)
        if sub.has("failure_rate"):
            metric, threshold = "failure_rate", sub.get("failure_rate", _percent, expected="a percentage such as 5%")
        elif sub.has("p95_latency"):
            metric, threshold = "p95_latency", sub.get("p95_latency", as_duration,
                                                       expected="a duration such as 2s or 500ms")
        else:
            raise sub.error("failure_rate", "a stop condition needs failure_rate or p95_latency",
                            expected="e.g. {failure_rate: 5%, window: 1m}")
        sub.done()
        conditions.append(StopCondition(metric, threshold, window, min_count))
    return conditions


def _parse_job(raw: Any, path: Optional[str], index: int, line: Optional[int], check_paths: bool) -> JobConfig:
    job = Section(raw, file=path, prefix=f"jobs[{index}]", line=line)
    protocol = job.get("protocol", choices=PROTOCOLS)
    name = job.get("name", _name, expected="a unique name such as orders-http")
    job.prefix = f"jobs[{index}] ({name})"
    mode = job.get("mode", choices=MODES, default="wait")
    if job.has("ramp"):
        rate = job.get("rate", as_rate, default=None, expected=RATE_EXAMPLES)
    else:
        rate = job.get("rate", as_rate, expected=RATE_EXAMPLES + " (or a ramp:)")
    common: Dict[str, Any] = {
        "name": name,
        "protocol": protocol,
        "username": job.get("username", as_text, expected="the identity of this data source", as_written=True),
        "source": _parse_source(job, check_paths),
        "mode": mode,
        "workers": job.get("workers", _workers, default=1),
        "max_in_flight": job.get("max_in_flight", as_positive_int, default=100),
        "spacing": job.get("spacing", choices=("even", "poisson"), default="even"),
        "ramp": _parse_ramp(job, rate),
        "count": job.get("count", as_positive_int, default=None),
        "stop_on": _parse_stop_on(job),
        "remote_name": job.get("remote_name", _template, default="{filename}"),
        "connect_timeout": job.get("connect_timeout", as_duration, default=10.0, expected=DURATION_EXAMPLES),
        "timeout": job.get("timeout", as_duration, default=60.0, expected=DURATION_EXAMPLES),
        "line": job.line,
    }
    common["rate"] = rate if rate is not None else common["ramp"].start
    local_file = _local(job, must_exist=check_paths)
    if protocol == "http":
        parsed: JobConfig = _parse_http(job, common, local_file)
    else:
        parsed = _parse_sftp(job, common, local_file, check_paths)
    job.done()
    return parsed


def _method(value: Any) -> str:
    """An HTTP method: a token (RFC 9110: letters, digits and !#$%&'*+-.^_`|~), upper-cased."""
    text = as_text(value).strip().upper()
    if not _METHOD.fullmatch(text):
        raise ValueError(f"{text[:40]!r} is not an HTTP method")
    return text


_METHOD = re.compile(r"[A-Z0-9!#$%&'*+\-.^_`|~]{1,40}")


def _status_codes(value: Any) -> Tuple[int, ...]:
    """``[200, 201]`` or ``"200, 201"`` → the codes: each three digits from 100 to 599, nothing else (not ``true``,
    ``200.0`` or ``2e2``)."""
    if isinstance(value, dict):
        raise ValueError("a mapping is not a list of status codes")
    items = value if isinstance(value, list) else str(value).replace(",", " ").split()
    codes = []
    for item in items:
        text = str(item).strip()
        numeric = not isinstance(item, (bool, float, list, dict)) and _STATUS_CODE.fullmatch(text)
        if not numeric or not 100 <= int(text) <= 599:
            raise ValueError(f"{text[:40]} is not an HTTP status code (three digits, 100 to 599)")
        codes.append(int(text))
    return tuple(codes)


_STATUS_CODE = re.compile(r"[0-9]{3}")


def _url(value: Any) -> str:
    text = as_text(value)
    check_template(text)
    if not re.match(r"^https?://[^/\s]+", text, re.IGNORECASE):
        raise ValueError("is not an http:// or https:// URL")
    authority = text.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "{" not in authority:  # a templated host is checked as it is sent
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018  (raises for a port that is no number or out of range)
        except ValueError as exc:  # "Port out of range 0-65535", "Invalid IPv6 URL"
            raise ValueError(f"is not a usable URL: {exc}") from None
        if not parts.hostname:
            raise ValueError("is not a usable URL: it names no host")
    return text


def _job_url(job: Section) -> str:
    """The job's URL; one holding credentials is refused without echoing it (the password is a secret)."""
    raw = job.data.get("url")
    if isinstance(raw, str) and "@" in raw.strip().split("://", 1)[-1].split("/", 1)[0]:
        raise job.error("url", "holds a user name or password (not printed): fth would not send them from there",
                        hint="give them as the job's username: and password: (or password_env:); "
                             "fth sends them as basic auth")
    return job.get("url", _url, expected="an http:// or https:// URL")


def _local(section: Section, must_exist: bool = False) -> Callable[[Any], str]:
    """A converter to a local path; relative paths are relative to the config file's directory."""
    base = os.path.dirname(os.path.abspath(section.file)) if section.file else os.getcwd()

    def convert(value: Any) -> str:
        path = os.path.normpath(os.path.join(base, as_path(value)))
        return _existing_file(path) if must_exist else path

    return convert


def _existing_file(path: str) -> str:
    if not os.path.isfile(path):
        raise ValueError("file does not exist" if not os.path.exists(path) else "is not a file")
    if not os.access(path, os.R_OK):
        raise ValueError("file is not readable")
    return path


def _parse_http(job: Section, common: Dict[str, Any], local_file: Callable[[Any], str]) -> HttpJobConfig:
    config = HttpJobConfig(
        **common,
        url=_job_url(job),
        client=job.get("client", choices=("requests", "fast"), default="requests"),
        method=job.get("method", _method, default="POST", expected="an HTTP method such as POST or PUT"),
        headers=_headers(job),
        body=job.get("body", choices=("raw", "multipart"), default="raw"),
        field_name=job.get("field", as_text, default="file"),
        form=_string_map(job, "form"),
        password=job.secret("password"),
        cert_file=job.get("cert_file", local_file, default=None, expected="a PEM client certificate"),
        key_file=job.get("key_file", local_file, default=None, expected="a PEM private key"),
        ca_file=job.get("ca_file", local_file, default=None, expected="a PEM CA bundle"),
        verify=job.get("verify", as_bool, default=True),
        expect_status=job.get("expect_status", _status_codes, default=(), expected="status codes such as [200, 201]"),
    )
    if config.key_file and not config.cert_file:
        raise job.error("key_file", "a client key needs its certificate", expected="cert_file: as well")
    if config.client == "fast" and "{" in "/".join(config.url.split("/", 3)[:3]):
        raise job.error("url", "with client: fast the scheme, host and port are fixed (templates only in the path)",
                        value=config.url)
    if config.form and config.body != "multipart":
        raise job.error("form", "form fields need body: multipart", value=config.body)
    return config


def _parse_sftp(job: Section, common: Dict[str, Any], local_file: Callable[[Any], str],
                check_paths: bool) -> SftpJobConfig:
    config = SftpJobConfig(
        **common,
        host=job.get("host", as_text, expected="the SFTP server's host name or address"),
        port=job.get("port", as_port, default=22),
        password=job.secret("password"),
        key_file=job.get("key_file", local_file, default=None, expected="a private key file"),
        key_passphrase=job.secret("key_passphrase"),
        use_agent=job.get("use_agent", as_bool, default=False),
        host_key_policy=job.get("host_key_policy", choices=("strict", "accept-new", "ignore"), default="strict"),
        known_hosts=job.get("known_hosts", _local(job), default=os.path.expanduser("~/.ssh/known_hosts")),
        remote_dir=job.get("remote_dir", as_text, default="."),
        temp_name=job.get("temp_name", _template, default=None),
        connection=job.get("connection", choices=("reuse", "per-file"), default="reuse"),
        keepalive=job.get("keepalive", parse_duration, default=30.0, expected=DURATION_EXAMPLES),
        verify_size=job.get("verify_size", as_bool, default=True),
    )
    if not (config.password or config.key_file or config.use_agent):
        raise job.error("password", "an SFTP job needs a way to log in",
                        expected="password:, password_env:, key_file: or use_agent: true")
    if config.key_file and check_paths:
        _check_private_key(job, config.key_file, config.key_passphrase)
    return config


def _check_private_key(job: Section, path: str, passphrase: Optional[str]) -> None:
    """Load the key now so a wrong passphrase or unreadable key is a config error."""
    from fth.protocols.sshkeys import KeyLoadError, load_private_key

    try:
        load_private_key(path, passphrase)
    except KeyLoadError as exc:
        raise job.error("key_file", str(exc), value=path) from None


def parse_db(section: Section, role: str, defaults: Optional[Dict[str, Any]] = None) -> DbConfig:
    """One database (a tracking database or fth-web's dashboard database); ``defaults`` per role."""
    base = DbConfig(role=role, **(defaults or {}))
    driver = section.get("driver", choices=("mysql", "sqlite"), default="mysql")
    columns = dict(DEFAULT_COLUMNS)
    col_section = section.section("columns")
    for logical in DEFAULT_COLUMNS:
        columns[logical] = col_section.get(logical, sql_name, default=DEFAULT_COLUMNS[logical])
    col_section.done()
    config = DbConfig(
        role=role,
        driver=driver,
        host=section.get("host", as_text, default="127.0.0.1"),
        port=section.get("port", as_port, default=3306),
        user=section.get("user", as_text, default=""),
        password=section.secret("password"),
        database=section.get("database", sql_name, default=base.database),
        table=section.get("table", sql_name, default=base.table),
        columns=columns,
        path=section.get("path", _local(section), default=target_store() if driver == "sqlite" else None),
        ssl_ca=section.get("ssl_ca", _local(section, must_exist=True), default=None),
        ssl_cert=section.get("ssl_cert", _local(section, must_exist=True), default=None),
        ssl_key=section.get("ssl_key", _local(section, must_exist=True), default=None),
        ssl_verify=section.get("ssl_verify", as_bool, default=True),
        connect_timeout=section.get("connect_timeout", as_duration, default=base.connect_timeout),
        read_timeout=section.get("read_timeout", as_duration, default=base.read_timeout),
        timezone=section.get("timezone", as_text, default=None),
    )
    section.done()
    if driver == "mysql" and not config.database:
        raise section.error("database", "is required", expected="the database holding the tracking table")
    return config


def sql_name(value: Any) -> str:
    """A plain SQL identifier (table, database, column); the one check every database name passes."""
    text = as_text(value)
    if not _SQL_NAME.match(text):
        raise ValueError("is not a plain SQL name (letters, digits, _ and $)")
    return text


def parse_tracking(section: Section) -> TrackingConfig:
    """``tracking:`` holds ``ingress:`` and ``egress:``; ``defaults:`` and ``timezone:`` apply to both."""
    timezone = section.get("timezone", as_text, default=None)
    shared = section.section("defaults").data
    dbs = {}
    for role in ("ingress", "egress"):
        own = section.section(role, required=True)
        merged = MarkedDict({**shared, **own.data})
        merged.line = own.line
        merged.key_lines = {**getattr(shared, "key_lines", {}), **getattr(own.data, "key_lines", {})}
        merged.overridden = {**getattr(shared, "overridden", {}), **getattr(own.data, "overridden", {})}
        merged.as_written = {**getattr(shared, "as_written", {}), **getattr(own.data, "as_written", {})}
        if timezone and "timezone" not in merged:
            merged["timezone"] = timezone
        dbs[role] = parse_db(Section(merged, file=section.file, prefix=own.prefix), role)
    section.done()
    return TrackingConfig(**dbs)


def _apply_overrides(data: MarkedDict, overrides: Sequence[str], path: str) -> None:
    for override in overrides:
        key, sep, value = override.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError("an override must look like KEY=VALUE", key="--set", value=override,
                              expected="e.g. duration=5m or orders-http.rate=50/s")
        if "." not in key:
            _override(data, key, value, override)
            continue
        job_name, _, job_key = key.partition(".")
        jobs = [job for job in data.get("jobs") or [] if isinstance(job, dict)
                and (job_name == "*" or str(job.get("name", "")).strip() == job_name)]
        if not jobs:
            if job_name in ("tracking", "web"):
                _set_nested(data, key.split("."), value, override)
                continue
            raise ConfigError(f"--set names no job called {job_name!r}", file=path, key=key,
                              expected="JOB.KEY=VALUE with a job name from the file, or *.KEY=VALUE")
        for job in jobs:
            _override(job, job_key, value, override)


def _override(mapping: dict, key: str, value: str, option: str) -> None:
    """Set ``key`` from ``--set option``; errors in it then name the option (see Section.error)."""
    mapping[key] = value
    if isinstance(mapping, MarkedDict):
        mapping.overridden = {**getattr(mapping, "overridden", {}), key: option}
        mapping.as_written = {name: text for name, text in getattr(mapping, "as_written", {}).items()
                              if name != key}  # the option's text is the value as written


def _set_nested(data: dict, keys: List[str], value: str, option: str) -> None:
    for key in keys[:-1]:
        child = data.get(key)
        if not isinstance(child, dict):
            child = MarkedDict()
            child.line, child.key_lines = getattr(data, "line", None), {}
            data[key] = child
        data = child
    _override(data, keys[-1], value, option)
