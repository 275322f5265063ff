"""Run configuration: YAML with line marks, typed dataclasses, CLI overrides."""

from fth.config.loader import load_run_config, parse_run_config, sql_name
from fth.config.model import (
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
)
from fth.config.web import WebConfig

__all__ = [
    "DbConfig", "HttpJobConfig", "JobConfig", "Ramp", "RampStage", "RunConfig", "SftpJobConfig",
    "SourceConfig", "StopCondition", "TrackingConfig", "WebConfig", "load_run_config", "parse_run_config",
    "sql_name",
]
