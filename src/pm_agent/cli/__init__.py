"""Command-line front end: one sub-command per capability, each a thin call into the service.

:func:`main` builds one :class:`pm_agent.service.PostmortemService` (the settings read from the
environment once) and hands it to the command's handler, ``handler(args, service)``: no command
opens the memory or reads the settings itself, and the results are rendered by :mod:`pm_agent.render`.

Errors the user can fix (:class:`PmAgentError`) become one line on stderr and exit status 2.
``PM_AGENT_RAISE_ERRORS=1`` re-raises them for debugging.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence

from pm_agent import __version__
from pm_agent.errors import PmAgentError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The full parser; each command module adds its own sub-commands."""
    from pm_agent.cli import (
        analysis_cmds,
        automation_cmds,
        draft_cmds,
        eval_cmds,
        fetch_cmds,
        memory_cmds,
        serve_cmds,
    )

    parser = argparse.ArgumentParser(
        prog="pm-agent",
        description="Blameless postmortems from incident data: drafts, 5 Whys, SMART actions, memory.",
    )
    parser.add_argument("-V", "--version", action="version", version=f"pm-agent {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (draft_cmds, fetch_cmds, analysis_cmds, memory_cmds, eval_cmds, serve_cmds, automation_cmds):
        module.register(commands)
    return parser


class _StderrHandler(logging.Handler):
    """``pm-agent: WARNING: message`` on stderr, in colour on a terminal."""

    def emit(self, record: logging.LogRecord) -> None:
        from pm_agent.cli.output import say

        try:
            say(record.levelname, record.getMessage())
        except Exception:  # a log line must never end the command
            self.handleError(record)


@contextlib.contextmanager
def _warnings_on_stderr():
    """Fallbacks and other warnings reach the user on stderr while a command runs; stdout carries only the result."""
    logger = logging.getLogger("pm_agent")
    handler = _StderrHandler()
    handler.setLevel(logging.WARNING)
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pm-agent`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _warnings_on_stderr():
            from pm_agent.service import PostmortemService

            return int(args.handler(args, PostmortemService()) or EXIT_OK)
    except PmAgentError as exc:
        if os.environ.get("PM_AGENT_RAISE_ERRORS"):
            raise
        from pm_agent.cli.output import say

        say("error", str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("pm-agent: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
