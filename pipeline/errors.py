"""Error types shared by the stages and the command line (exit codes of the contract)."""

from __future__ import annotations


class SymcauseError(Exception):
    """Base class: an error with a one-line message for the user."""

    exit_code = 1


class BadInputError(SymcauseError):
    """The user's input (a file, a line, a key) is wrong. Exit code 2."""

    exit_code = 2


class ValidationFailed(SymcauseError):
    """A table broke its schema or expectations. Exit code 2 (bad data in)."""

    exit_code = 2


def warn(message: str) -> None:
    """A one-line warning on stderr (skipped sources and other non-fatal problems)."""
    import sys

    print(f"symcause: warning: {message}", file=sys.stderr)
