"""Exit statuses shared by the fth console scripts."""

from enum import IntEnum


class ExitStatus(IntEnum):
    """Process exit codes; documented in the README."""

    SUCCESS = 0
    ERROR = 1  # runtime failure outside the load itself (database, I/O)
    USAGE = 2  # bad command line or configuration: nothing was sent
    STOP_CONDITION = 3  # a stop condition tripped: the system under test broke
    CTRL_C = 130
