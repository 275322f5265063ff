"""File Transfer Harness: load and verify systems that receive files over HTTP(S) and SFTP."""

__version__ = "0.1.0"
