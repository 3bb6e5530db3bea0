"""Error types shared by the library, the stages and the command line (exit codes of the contract)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable


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
    print(f"symcause: warning: {message}", file=sys.stderr)


def run_guarded(fn: Callable[[], None]) -> int:
    """Run `fn`; map errors to one-line messages and the contract's exit codes (0, 1, 2, 130)."""
    logging.basicConfig(level=logging.WARNING, format="symcause: warning: %(message)s")
    try:
        fn()
    except SymcauseError as exc:
        print(f"symcause: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("symcause: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort: one line, exit 1
        print(f"symcause: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0
