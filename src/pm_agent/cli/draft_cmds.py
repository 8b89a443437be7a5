"""Sub-commands (registered by pm_agent.cli.build_parser)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add this module's sub-commands."""
