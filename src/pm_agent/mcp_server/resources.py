"""Resources: the postmortem template and the scoring rubric, read from pm-agent's shipped files."""

from __future__ import annotations

from pathlib import Path

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError

from pm_agent.settings import CHECKOUT_DIR, PACKAGE_DIR

TEMPLATE_URI = "pm-agent://template/postmortem"
RUBRIC_URI = "pm-agent://rubric"


def shipped_file(name: str) -> Path:
    """A file of ``prompts/``: the wheel's ``pm_agent/prompts/`` first, then the checkout's."""
    for folder in (PACKAGE_DIR / "prompts", CHECKOUT_DIR / "prompts"):
        if (folder / name).is_file():
            return folder / name
    raise ResourceError(f"{name} is missing from this pm-agent installation; reinstall pm-agent")


def postmortem_template() -> str:
    """The blameless postmortem template: the sections a complete postmortem has, each with guidance."""
    return shipped_file("postmortem_template.md").read_text(encoding="utf-8")


def rubric() -> str:
    """The rubric score_postmortem applies: eight weighted criteria, what each score level means, the pass mark."""
    return shipped_file("rubric.json").read_text(encoding="utf-8")


def register(server: MCPServer) -> None:
    server.resource(TEMPLATE_URI, name="postmortem_template", title="Postmortem template", mime_type="text/markdown")(
        postmortem_template
    )
    server.resource(RUBRIC_URI, name="rubric", title="Postmortem rubric", mime_type="application/json")(rubric)
