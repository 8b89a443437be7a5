"""The requests of the HTTP load test (bench/bench_load.py) and how to tell a right answer from a wrong one.

A workload of ``total`` requests is half MCP tool calls (``score_postmortem``, ``rewrite_blameless``,
``draft_postmortem``, ``check_actions`` in turn) and half webhook deliveries (PagerDuty v3
``incident.resolved`` and pm-agent incident JSON in turn), about one delivery in five being a
repeat of an earlier one. Every input carries its index, so no two calls ask the same thing and a
server that mixed answers up would be caught. The incidents and texts are invented for the bench;
the incident JSON starts from the repository's example incident.

Expected answers are computed in this process by the same pure functions the server calls, so a
tool result is checked whole: its structured content and its text.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pm_agent.analysis.drafting import draft_postmortem
from pm_agent.automation.signatures import hmac_hex, sign_pm_agent
from pm_agent.mcp_server.results import ActionCheck
from pm_agent.models import ActionItem, RelatedIncident
from pm_agent.render import analysis as render_analysis
from pm_agent.service import PostmortemService
from pm_agent.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "payments-outage.json"
TOOLS = ("score_postmortem", "rewrite_blameless", "draft_postmortem", "check_actions")
REPEAT_EVERY = 5
"""Every fifth webhook delivery repeats an earlier one (PagerDuty retries, a tool posting twice)."""


@dataclass(frozen=True)
class ToolCall:
    """One MCP tool call and the answer it must get."""

    index: int
    tool: str
    arguments: dict[str, Any]

    @property
    def kind(self) -> str:
        return f"mcp {self.tool}"


@dataclass(frozen=True)
class Delivery:
    """One signed webhook POST; ``incident_id`` is the incident its draft must be named after."""

    index: int
    endpoint: Literal["pagerduty", "incident"]
    body: bytes
    headers: dict[str, str]
    incident_id: str
    title: str
    repeat: bool = False

    @property
    def kind(self) -> str:
        return f"webhook {self.endpoint}" + (" (repeat)" if self.repeat else "")


@dataclass
class Workload:
    calls: list[ToolCall] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def incidents(self) -> dict[str, str]:
        """Each distinct delivered incident's id and title: exactly the drafts that must appear."""
        return {d.incident_id: d.title for d in self.deliveries}

    def requests(self) -> list[ToolCall | Delivery]:
        """Calls and deliveries interleaved, so both kinds are in flight together from the start."""
        mixed: list[ToolCall | Delivery] = []
        for pair in zip(self.calls, self.deliveries, strict=False):
            mixed.extend(pair)
        longer = self.calls if len(self.calls) > len(self.deliveries) else self.deliveries
        mixed.extend(longer[min(len(self.calls), len(self.deliveries)) :])
        return mixed


def build_workload(total: int, pagerduty_secret: str, webhook_secret: str) -> Workload:
    """``total`` requests: half tool calls, half deliveries (one in :data:`REPEAT_EVERY` a repeat)."""
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    work = Workload()
    deliveries = total // 2
    for index in range(total - deliveries):
        work.calls.append(tool_call(index, example))
    firsts: list[Delivery] = []
    for index in range(deliveries):
        if index % REPEAT_EVERY == REPEAT_EVERY - 1 and firsts:
            original = firsts[(index // REPEAT_EVERY) % len(firsts)]
            work.deliveries.append(replace(original, index=index, repeat=True))
            continue
        make = pagerduty_delivery if len(firsts) % 2 == 0 else incident_delivery
        delivery = make(len(firsts), example, pagerduty_secret if make is pagerduty_delivery else webhook_secret)
        firsts.append(delivery)
        work.deliveries.append(delivery)
    return work


# --- tool calls ----------------------------------------------------------------------------
def tool_call(index: int, example: dict[str, Any]) -> ToolCall:
    tool = TOOLS[index % len(TOOLS)]
    if tool == "score_postmortem":
        arguments = {"markdown": postmortem_markdown(index)}
    elif tool == "rewrite_blameless":
        arguments = {
            "text": (
                f"Dana should have checked the pool size before deploy {index}. Her careless change to "
                f"payments-api-{index} was human error, and the on-call failed to notice the alert for 12 minutes."
            )
        }
    elif tool == "draft_postmortem":
        incident = example | {"id": f"LOAD-DRAFT-{index:04d}", "title": f"{example['title']} (load call {index})"}
        arguments = {"incident": json.dumps(incident)}
    else:
        arguments = {
            "actions": [
                "Improve monitoring",
                f"Be more careful with pool settings ({index})",
                {
                    "title": f"Add a load test gating pool_size changes of payments-api-{index}",
                    "owner": "Priya Raman",
                    "due": "2026-04-30",
                    "done_when": "CI fails a config change that lowers pool_size below the measured peak",
                },
            ]
        }
    return ToolCall(index, tool, arguments)


def postmortem_markdown(index: int) -> str:
    """A short postmortem a team might have written; the index changes its title, times and figures."""
    minute = index % 60
    return f"""# Postmortem: checkout errors after cache flush {index}

## Summary
On 2026-02-{1 + index % 28:02d} checkout returned errors for 25 minutes after a cache flush.
About {index + 3}% of checkout requests failed.

## Timeline (UTC)
- 09:{minute:02d} cache flush job started
- 09:{minute:02d} alert CheckoutErrorRate fired
- 10:05 flush job stopped, errors recovered

## Root cause
The flush job had no rate limit, so every cache entry expired at once and the database was overloaded.

## Action items
- Add a rate limit to the flush job (owner: platform team lead, due 2026-03-15)
"""


def expected_result(service: PostmortemService, call: ToolCall, structured: dict[str, Any]) -> tuple[dict, str]:
    """The structured content and text the call must return. A draft's related incidents come from the
    server's memory, which the webhooks fill meanwhile; the rest of the draft must follow from them."""
    args = call.arguments
    if call.tool == "score_postmortem":
        result = service.score(args["markdown"])
        return result.model_dump(mode="json"), render_analysis.rubric_text(result)
    if call.tool == "rewrite_blameless":
        report = service.rewrite_blameless(args["text"], backend="offline")
        return report.model_dump(mode="json"), render_analysis.blameless_text(report)
    if call.tool == "draft_postmortem":
        related = [RelatedIncident.model_validate(r) for r in structured.get("related_incidents") or []]
        postmortem = draft_postmortem(service.load_text(args["incident"]), related=related)
        return postmortem.model_dump(mode="json"), service.render(postmortem, "markdown")
    items = [ActionItem(title=a) if isinstance(a, str) else ActionItem.model_validate(a) for a in args["actions"]]
    checks = service.check_actions(items)
    result = ActionCheck(all_smart=all(c.smart for c in checks), checks=checks)
    return result.model_dump(mode="json"), render_analysis.action_lints_text(checks)


def offline_service() -> PostmortemService:
    """The service that computes expectations: offline, with no memory, and reading no ``PM_AGENT_*``
    variable, as the server is started without them."""
    unused_prefix = "PM_AGENT_LOAD_BENCH_NOT_READ_"
    return PostmortemService(Settings(_env_prefix=unused_prefix, backend="offline"))


# --- webhook deliveries --------------------------------------------------------------------
def pagerduty_delivery(number: int, _example: dict[str, Any], secret: str) -> Delivery:
    """A PagerDuty v3 ``incident.resolved`` delivery, signed as PagerDuty signs."""
    incident_id = f"PLOAD{number:05d}"
    title = f"Search API timeouts in shard {number}"
    payload = {
        "event": {
            "id": f"01LOADEVT{number:08d}",
            "event_type": "incident.resolved",
            "resource_type": "incident",
            "occurred_at": f"2026-01-{1 + number % 28:02d}T04:{number % 60:02d}:10Z",
            "agent": {"id": "PLOADAG", "summary": "Search on-call", "type": "user_reference"},
            "data": {
                "id": incident_id,
                "type": "incident",
                "number": 9000 + number,
                "status": "resolved",
                "created_at": f"2026-01-{1 + number % 28:02d}T03:{number % 60:02d}:00Z",
                "title": title,
                "service": {"id": "PSVCLD", "summary": f"search-api-{number % 7}", "type": "service_reference"},
                "teams": [{"id": "PTEAMLD", "summary": "Search", "type": "team_reference"}],
                "priority": {"id": "PPRILD", "summary": "P3", "type": "priority_reference"},
                "urgency": "high",
            },
        }
    }
    body = json.dumps(payload).encode()
    return Delivery(
        number, "pagerduty", body, {"X-PagerDuty-Signature": f"v1={hmac_hex(secret, body)}"}, incident_id, title
    )


def incident_delivery(number: int, example: dict[str, Any], secret: str) -> Delivery:
    """pm-agent incident JSON, signed ``X-PM-Agent-Signature``."""
    incident = copy.deepcopy(example)
    incident["id"] = f"LOAD-INC-{number:05d}"
    incident["title"] = f"{example['title']} (webhook {number})"
    body = json.dumps(incident).encode()
    return Delivery(
        number,
        "incident",
        body,
        {"X-PM-Agent-Signature": sign_pm_agent(secret, body)},
        incident["id"],
        incident["title"],
    )
