"""The service layer: every use case once, shared by the CLI and the MCP server.

A front end builds one :class:`PostmortemService` and calls it; a CLI command and an MCP
tool given the same input therefore return the same result. The front ends import nothing from
:mod:`pm_agent.memory` and read no settings of their own: the memory's result types are
re-exported here, and the settings are the service's (``service.settings``).
"""

from pm_agent.service.core import PostmortemService, load_confined
from pm_agent.service.memory import (
    Ingested,
    IngestReport,
    MemoryHit,
    MemoryRecord,
    PatternsReport,
    ReindexReport,
    TrackedAction,
)
from pm_agent.service.parsing import ACTION_FIELD_NAMES, parse_actions_json, parse_roster

__all__ = [
    "ACTION_FIELD_NAMES",
    "IngestReport",
    "Ingested",
    "MemoryHit",
    "MemoryRecord",
    "PatternsReport",
    "PostmortemService",
    "ReindexReport",
    "TrackedAction",
    "load_confined",
    "parse_actions_json",
    "parse_roster",
]
