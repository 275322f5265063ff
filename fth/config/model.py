"""Typed configuration of a run: what the YAML file and the flags describe."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

if TYPE_CHECKING:  # fth.config.web builds on DbConfig below
    from fth.config.web import WebConfig

DEFAULT_COLUMNS: Dict[str, str] = {
    "uuid": "UUID",
    "username": "username",
    "filename": "filename",
    "start": "startTime",
    "end": "endTime",
    "status": "status",
}


@dataclass(frozen=True)
class RampStage:
    """Move linearly from the previous rate to ``target`` (files/s) over ``duration`` seconds."""

    target: float
    duration: float


@dataclass(frozen=True)
class Ramp:
    start: float
    stages: Tuple[RampStage, ...]

    @property
    def total_duration(self) -> float:
        return sum(stage.duration for stage in self.stages)

    def rate_at(self, elapsed: float) -> float:
        """Target rate (files/s) ``elapsed`` seconds after the job started."""
        rate = self.start
        for stage in self.stages:
            if elapsed < stage.duration:
                return rate + (stage.target - rate) * (elapsed / stage.duration)
            elapsed -= stage.duration
            rate = stage.target
        return rate

    def sends_until(self, elapsed: float) -> float:
        """Files the ramp calls for in its first ``elapsed`` seconds (area under the rate)."""
        total, rate = 0.0, self.start
        for stage in self.stages:
            span = min(stage.duration, elapsed)
            if span > 0:
                end_rate = rate + (stage.target - rate) * (span / stage.duration)
                total += (rate + end_rate) / 2 * span
            elapsed -= stage.duration
            rate = stage.target
            if elapsed <= 0:
                return total
        return total + rate * elapsed

    @property
    def peak(self) -> float:
        return max([self.start] + [stage.target for stage in self.stages])


@dataclass(frozen=True)
class StopCondition:
    """End the run when ``metric`` exceeds ``threshold`` over the last ``window`` seconds."""

    metric: str  # "failure_rate" (fraction 0..1) | "p95_latency" (seconds)
    threshold: float
    window: float
    min_count: int = 10

    def describe(self) -> str:
        if self.metric == "failure_rate":
            return f"failure rate over {self.threshold * 100:g}% during {self.window:g}s"
        return f"p95 latency over {self.threshold * 1000:g} ms during {self.window:g}s"


@dataclass(frozen=True)
class Segment:
    """Segment ``index`` of ``count`` (``--segment I/N``): the share of every job this process runs.

    The split rules live in :mod:`fth.segment`; the whole run is segment 0/1.
    """

    index: int = 0
    count: int = 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class SourceConfig:
    path: str
    pattern: str = "*"
    recursive: bool = False
    order: str = "sequential"  # sequential | random
    loop: bool = True


@dataclass
class JobConfig:
    """Settings every job has, whatever its protocol."""

    name: str
    protocol: str
    username: str
    source: SourceConfig
    rate: float  # files per second (the start rate when a ramp is given)
    mode: str = "wait"  # wait | fire
    workers: int = 1
    max_in_flight: int = 100
    spacing: str = "even"  # even | poisson
    ramp: Optional[Ramp] = None
    count: Optional[int] = None  # stop this job after this many files
    stop_on: List[StopCondition] = field(default_factory=list)
    remote_name: str = "{filename}"
    segment: Segment = Segment()  # the share of this job run here (fth.segment.split_job)
    connect_timeout: float = 10.0
    timeout: float = 60.0
    line: Optional[int] = None

    @property
    def peak_rate(self) -> float:
        return self.ramp.peak if self.ramp else self.rate


@dataclass
class HttpJobConfig(JobConfig):
    url: str = ""
    client: str = "requests"  # requests | fast (fth.protocols.rawhttp)
    method: str = "POST"
    headers: Dict[str, str] = field(default_factory=dict)
    body: str = "raw"  # raw | multipart
    field_name: str = "file"
    form: Dict[str, str] = field(default_factory=dict)
    password: Optional[str] = None  # basic auth with ``username`` when set
    cert_file: Optional[str] = None
    key_file: Optional[str] = None
    ca_file: Optional[str] = None
    verify: bool = True
    expect_status: Tuple[int, ...] = ()  # empty: any 2xx


@dataclass
class SftpJobConfig(JobConfig):
    host: str = ""
    port: int = 22
    password: Optional[str] = None
    key_file: Optional[str] = None
    key_passphrase: Optional[str] = None
    use_agent: bool = False
    host_key_policy: str = "strict"  # strict | accept-new | ignore
    known_hosts: str = "~/.ssh/known_hosts"
    remote_dir: str = "."
    temp_name: Optional[str] = None  # e.g. ".{filename}.part": upload then rename
    connection: str = "reuse"  # reuse | per-file
    keepalive: float = 30.0
    verify_size: bool = True


@dataclass
class DbConfig:
    """One tracking database (ingress or egress)."""

    role: str
    driver: str = "mysql"  # mysql | sqlite
    host: str = "127.0.0.1"
    port: int = 3306
    user: str = ""
    password: Optional[str] = None
    database: str = ""
    table: str = "transfers"
    columns: Dict[str, str] = field(default_factory=lambda: dict(DEFAULT_COLUMNS))
    path: Optional[str] = None  # sqlite file
    ssl_ca: Optional[str] = None
    ssl_cert: Optional[str] = None
    ssl_key: Optional[str] = None
    ssl_verify: bool = True
    connect_timeout: float = 10.0
    read_timeout: float = 300.0
    timezone: Optional[str] = None  # of DATETIME values; None: server session time zone

    def describe(self) -> str:
        """Where this database is, for messages; never includes the password."""
        if self.driver == "sqlite":
            return f"{self.role} sqlite:{self.path} table {self.table}"
        return f"{self.role} {self.user}@{self.host}:{self.port}/{self.database}.{self.table}"


@dataclass
class TrackingConfig:
    ingress: DbConfig
    egress: DbConfig


@dataclass(frozen=True)
class JobGroup:
    """The jobs of one username: reports can tell transfers apart only by username."""

    name: str  # "orders" or, for jobs sharing a username, "job-b + job-c"
    username: str
    protocol: str  # "http", or "http/sftp" for a mixed group
    jobs: Tuple[str, ...]


def job_groups(jobs: Sequence[Any]) -> List[JobGroup]:
    """Jobs (anything with ``name``, ``username``, ``protocol``) grouped by username, in file order.

    Tracking rows carry only the username, so reports show a group of several jobs as one.
    """
    by_user: Dict[str, List[Any]] = {}
    for job in jobs:
        by_user.setdefault(job.username, []).append(job)
    groups = []
    for username, members in by_user.items():
        protocols = "/".join(dict.fromkeys(job.protocol for job in members))
        groups.append(JobGroup(" + ".join(job.name for job in members), username, protocols,
                               tuple(job.name for job in members)))
    return groups


@dataclass
class RunConfig:
    path: Optional[str]
    jobs: List[JobConfig]
    duration: Optional[float] = None
    stop_timeout: float = 30.0
    interval: float = 10.0  # timeline bucket width, seconds
    summary_json: Optional[str] = None
    transfer_log: Optional[str] = None
    log_file: Optional[str] = None
    tracking: Optional[TrackingConfig] = None
    web: Optional["WebConfig"] = None  # the typed ``web:`` section; parse_run_config always sets it

    def job(self, name: str) -> JobConfig:
        for job in self.jobs:
            if job.name == name:
                return job
        raise KeyError(name)
