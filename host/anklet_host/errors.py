"""The host package's one error type for things a user can fix: the CLI prints its message on one line."""

from __future__ import annotations


class AnkletError(Exception):
    """A user-facing failure (bad input file, missing device, ...). ``exit_status`` is what the CLI returns."""

    exit_status = 1


class InputError(AnkletError):
    """Malformed input the user supplied (a trace CSV, a board file, an option value)."""

    exit_status = 2
