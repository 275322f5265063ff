"""Transports: each sends one file and reports a :class:`~fth.protocols.base.TransferResult`."""

import importlib
from typing import Dict

from fth.config.model import JobConfig
from fth.protocols.base import Transport

TRANSPORTS: Dict[str, str] = {
    "http": "fth.protocols.http:HttpTransport",
    "http/fast": "fth.protocols.fasthttp:FastHttpTransport",
    "sftp": "fth.protocols.sftp:SftpTransport",
}


def create_transport(job: JobConfig) -> Transport:
    """A new transport for ``job`` (imported lazily: an HTTP-only run never loads paramiko)."""
    client = getattr(job, "client", "requests")
    key = job.protocol if client == "requests" else f"{job.protocol}/{client}"
    module_name, _, class_name = TRANSPORTS[key].partition(":")
    return getattr(importlib.import_module(module_name), class_name)(job)
