"""Resources: the postmortem template and the scoring rubric, read from pm-agent's shipped files."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError

from pm_agent.errors import PromptError
from pm_agent.resources import resource_path

TEMPLATE_URI = "pm-agent://template/postmortem"
RUBRIC_URI = "pm-agent://rubric"


def shipped_text(name: str) -> str:
    """The text of ``prompts/<name>``, wherever this installation keeps it."""
    try:
        return resource_path(name).read_text(encoding="utf-8")
    except PromptError as exc:
        raise ResourceError(str(exc)) from exc


def postmortem_template() -> str:
    """The blameless postmortem template: the sections a complete postmortem has, each with guidance."""
    return shipped_text("postmortem_template.md")


def rubric() -> str:
    """The rubric score_postmortem applies: eight weighted criteria, what each score level means, the pass mark."""
    return shipped_text("rubric.json")


def register(server: MCPServer) -> None:
    server.resource(TEMPLATE_URI, name="postmortem_template", title="Postmortem template", mime_type="text/markdown")(
        postmortem_template
    )
    server.resource(RUBRIC_URI, name="rubric", title="Postmortem rubric", mime_type="application/json")(rubric)
