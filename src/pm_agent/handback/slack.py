"""The draft's summary in the incident's Slack channel (``chat.postMessage``).

Slack answers most errors with HTTP 200 and ``{"ok": false, "error": "..."}``; a token error names
``PM_AGENT_SLACK_TOKEN``, a channel error the channel, and a 429 is waited out as its
``Retry-After`` says (:mod:`pm_agent.handback.http`).
"""

from __future__ import annotations

from pm_agent.backends.retry import RetryPolicy
from pm_agent.errors import IntegrationError
from pm_agent.guards.redaction import redact
from pm_agent.handback.http import DEFAULT_POLICY, JsonApi
from pm_agent.ingest.timeparse import format_minutes
from pm_agent.models import Postmortem
from pm_agent.settings import Settings

TOKEN_ERRORS = {
    "invalid_auth",
    "not_authed",
    "token_expired",
    "token_revoked",
    "account_inactive",
    "missing_scope",
    "no_permission",
    "ekm_access_denied",
}


def summary_text(postmortem: Postmortem, draft: str, *, emails: bool = True) -> str:
    """A few lines: the title, how long it lasted, how many actions are open (and where they are filed), where the
    draft is. Secrets (and e-mail addresses with ``emails``) redacted."""
    minutes = next(
        (
            m.minutes
            for name in ("duration", "time_to_resolve")
            for m in postmortem.metrics
            if m.name == name and m.minutes is not None
        ),
        None,
    )
    open_actions = [item for item in postmortem.action_items if item.status != "done"]
    filed = sum(item.tracker_url is not None for item in open_actions)
    facts = [f"Duration: {format_minutes(minutes) if minutes is not None else 'unknown'}"]
    if postmortem.severity:
        facts.append(f"Severity: {postmortem.severity}")
    facts.append(f"Open action items: {len(open_actions)}" + (f" ({filed} filed in the tracker)" if filed else ""))
    lines = [f"Postmortem draft ready: {postmortem.title} ({postmortem.incident_id})", " | ".join(facts)]
    if draft:
        lines.append(f"Draft: {draft}")
    return redact("\n".join(lines), emails=emails).text


class SlackChannel:
    """Posts to Slack's Web API with a bot token."""

    def __init__(self, api: JsonApi) -> None:
        self.api = api

    def post(self, channel: str, text: str) -> str:
        """Post ``text`` to ``channel``; the message's ``ts``."""
        answer = (
            self.api.request(
                "POST",
                "/chat.postMessage",
                json={
                    "channel": channel,
                    "text": text,
                    "unfurl_links": False,
                    "unfurl_media": False,
                },
            )
            or {}
        )
        if answer.get("ok"):
            return str(answer.get("ts", ""))
        error = answer.get("error", "unknown_error")
        if error in TOKEN_ERRORS:
            raise IntegrationError(f"Slack refused PM_AGENT_SLACK_TOKEN ({error}); it needs the chat:write scope")
        raise IntegrationError(f"Slack did not post to {channel!r} ({error})")


def configured_slack(settings: Settings, policy: RetryPolicy = DEFAULT_POLICY) -> SlackChannel | None:
    """Slack when ``PM_AGENT_SLACK_SUMMARY`` asks for summaries and ``PM_AGENT_SLACK_TOKEN`` is set, else None: the
    token alone (set to read incident channels) never posts."""
    if not settings.slack_summary or settings.slack_token is None:
        return None
    api = JsonApi(
        "Slack",
        settings.slack_url,
        "PM_AGENT_SLACK_TOKEN",
        policy=policy,
        headers={
            "authorization": f"Bearer {settings.slack_token.get_secret_value()}",
        },
    )
    return SlackChannel(api)
