"""Transports: each sends one file and reports a :class:`~fth.protocols.base.TransferResult`."""
