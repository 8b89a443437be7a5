"""Issue trackers an action item can be filed in: GitHub Issues and Jira Cloud, behind one small interface.

A tracker finds the issue that carries a marker (so that an action is never filed twice, even when
the local ledger is lost), creates an issue, and reads an issue's state. What an issue says is
built by :func:`issue_text` from the action alone; nothing else of the incident is sent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from pm_agent.backends.retry import RetryPolicy
from pm_agent.errors import ConfigError
from pm_agent.handback.http import DEFAULT_POLICY, JsonApi
from pm_agent.handback.ledger import FiledIssue
from pm_agent.models import ActionItem
from pm_agent.settings import Settings

SEARCH_PAGES = 5
"""How many pages of search results are read for a marker: more would mean a marker that is not unique."""


@dataclass(frozen=True)
class IssueText:
    """What an issue says: its title and its body as lines (the marker last)."""

    title: str
    lines: list[str]


def issue_text(action: ActionItem, incident_id: str, incident_title: str, draft: str, marker: str) -> IssueText:
    """The issue for one action: the action's own fields, the incident it came from, the draft's location."""
    lines = [f"Action item from the postmortem of {incident_id}: {incident_title}", ""]
    facts = [
        ("Done when", action.done_when),
        ("Owner", action.owner or ""),
        ("Due", action.due.isoformat() if action.due else ""),
        ("Priority", action.priority or ""),
        ("Addresses", action.addresses),
    ]
    lines += [f"- {name}: {value}" for name, value in facts if value]
    if draft:
        lines += ["", f"Draft: {draft}"]
    lines += ["", marker]
    return IssueText(title=action.title[:250], lines=lines)


class Tracker(Protocol):
    """Where action items are filed."""

    name: str

    def find(self, marker: str) -> FiledIssue | None: ...

    def create(self, text: IssueText, marker: str) -> FiledIssue: ...

    def state(self, issue: FiledIssue) -> str: ...


class GitHubIssues:
    """GitHub Issues of one repository (``POST /repos/{owner}/{repo}/issues``, ``GET /search/issues``)."""

    name = "github"

    def __init__(self, api: JsonApi, repo: str) -> None:
        self.api = api
        self.repo = repo

    def find(self, marker: str) -> FiledIssue | None:
        query = f'"{marker}" repo:{self.repo} is:issue in:body'
        for page in range(1, SEARCH_PAGES + 1):
            found = self.api.request("GET", "/search/issues", params={"q": query, "per_page": 50, "page": page})
            items = found.get("items") or []
            for item in items:
                if marker in (item.get("body") or ""):
                    return self._issue(item)
            if len(items) < 50 or page * 50 >= int(found.get("total_count") or 0):
                return None
        return None

    def create(self, text: IssueText, marker: str) -> FiledIssue:
        lines = [line if line != marker else f"<!-- {marker} -->" for line in text.lines]
        body = {"title": text.title, "body": "\n".join(lines)}
        created = self.api.request("POST", f"/repos/{self.repo}/issues", json=body)
        return self._issue(created)

    def state(self, issue: FiledIssue) -> str:
        number = issue.key.removeprefix("#")
        found = self.api.request("GET", f"/repos/{self.repo}/issues/{number}")
        return "closed" if found.get("state") == "closed" else "open"

    def _issue(self, item: dict) -> FiledIssue:
        return FiledIssue(
            tracker=self.name,
            key=f"#{item['number']}",
            url=item["html_url"],
            state="closed" if item.get("state") == "closed" else "open",
            title=item.get("title", ""),
        )


class JiraCloud:
    """Jira Cloud issues of one project (``POST /rest/api/3/issue``, ``POST /rest/api/3/search/jql``)."""

    name = "jira"

    def __init__(self, api: JsonApi, site: str, project: str, issue_type: str) -> None:
        self.api = api
        self.site = site.rstrip("/")
        self.project = project
        self.issue_type = issue_type

    @staticmethod
    def label(marker: str) -> str:
        """A label made from the marker (labels hold no spaces, and JQL matches them exactly)."""
        return "pm-agent-" + hashlib.sha256(marker.encode("utf-8")).hexdigest()[:16]

    def find(self, marker: str) -> FiledIssue | None:
        jql = f'project = "{self.project}" AND labels = "{self.label(marker)}" ORDER BY created ASC'
        token = None
        for _ in range(SEARCH_PAGES):
            body = {"jql": jql, "fields": ["summary", "status"], "maxResults": 50}
            if token:
                body["nextPageToken"] = token
            found = self.api.request("POST", "/rest/api/3/search/jql", json=body)
            issues = found.get("issues") or []
            if issues:
                return self._issue(issues[0])
            token = found.get("nextPageToken")
            if found.get("isLast", True) or not token:
                return None
        return None

    def create(self, text: IssueText, marker: str) -> FiledIssue:
        fields = {
            "project": {"key": self.project},
            "issuetype": {"name": self.issue_type},
            "summary": text.title,
            "description": _document(text.lines),
            "labels": ["pm-agent", self.label(marker)],
        }
        created = self.api.request("POST", "/rest/api/3/issue", json={"fields": fields})
        return FiledIssue(tracker=self.name, key=created["key"], url=self._browse(created["key"]), title=text.title)

    def state(self, issue: FiledIssue) -> str:
        found = self.api.request("GET", f"/rest/api/3/issue/{quote(issue.key)}", params={"fields": "status"})
        return _jira_state(found.get("fields") or {})

    def _issue(self, item: dict) -> FiledIssue:
        fields = item.get("fields") or {}
        return FiledIssue(
            tracker=self.name,
            key=item["key"],
            url=self._browse(item["key"]),
            state=_jira_state(fields),
            title=fields.get("summary", ""),
        )

    def _browse(self, key: str) -> str:
        return f"{self.site}/browse/{quote(key)}"


def _jira_state(fields: dict) -> str:
    """Closed when the issue's status is in Jira's "done" category, whatever the workflow calls it."""
    category = ((fields.get("status") or {}).get("statusCategory") or {}).get("key")
    return "closed" if category == "done" else "open"


def _document(lines: list[str]) -> dict:
    """Plain lines as an Atlassian Document (Jira Cloud's v3 API takes descriptions in no other form)."""
    paragraphs, current = [], []
    for line in [*lines, ""]:
        if line:
            current.append(line)
        elif current:
            text = "\n".join(current)
            paragraphs.append({"type": "paragraph", "content": [{"type": "text", "text": text}]})
            current = []
    return {"type": "doc", "version": 1, "content": paragraphs}


def configured_tracker(settings: Settings, policy: RetryPolicy = DEFAULT_POLICY) -> Tracker | None:
    """The tracker ``PM_AGENT_TRACKER`` names, or None; a tracker missing a setting it needs is a ConfigError."""
    if settings.tracker == "github":
        if settings.github_token is None or not settings.github_repo:
            raise ConfigError(
                "PM_AGENT_TRACKER=github needs PM_AGENT_GITHUB_TOKEN and PM_AGENT_GITHUB_REPO (owner/name)"
            )
        if settings.github_repo.count("/") != 1 or not all(settings.github_repo.split("/")):
            raise ConfigError(f"PM_AGENT_GITHUB_REPO={settings.github_repo!r}: give it as owner/name")
        api = JsonApi(
            "GitHub",
            settings.github_url,
            "PM_AGENT_GITHUB_TOKEN",
            policy=policy,
            headers={
                "authorization": f"Bearer {settings.github_token.get_secret_value()}",
                "accept": "application/vnd.github+json",
                "x-github-api-version": "2022-11-28",
            },
        )
        return GitHubIssues(api, settings.github_repo)
    if settings.tracker == "jira":
        missing = [
            name
            for name, value in (
                ("PM_AGENT_JIRA_URL", settings.jira_url),
                ("PM_AGENT_JIRA_EMAIL", settings.jira_email),
                ("PM_AGENT_JIRA_TOKEN", settings.jira_token),
                ("PM_AGENT_JIRA_PROJECT", settings.jira_project),
            )
            if not value
        ]
        if missing:
            raise ConfigError(f"PM_AGENT_TRACKER=jira needs {', '.join(missing)}")
        api = JsonApi(
            "Jira",
            settings.jira_url,
            "PM_AGENT_JIRA_EMAIL and PM_AGENT_JIRA_TOKEN",
            policy=policy,
            auth=(settings.jira_email, settings.jira_token.get_secret_value()),
        )
        return JiraCloud(api, settings.jira_url, settings.jira_project, settings.jira_issue_type)
    return None
