"""Local fakes of the Slack Web API, GitHub's REST API and Jira Cloud's REST API on 127.0.0.1, with state.

Each implements the few documented endpoints pm-agent uses and answers in the documented shapes:

- Slack: ``POST /api/chat.postMessage`` (HTTP 200 with ``{"ok": true, "ts": ...}`` or ``{"ok": false,
  "error": "invalid_auth"}``; a rate limit is ``429`` with ``Retry-After``).
- GitHub: ``POST /repos/{owner}/{repo}/issues`` (201 and the issue), ``GET /repos/{owner}/{repo}/issues/{n}``,
  ``GET /search/issues?q=`` (``total_count``, ``incomplete_results``, ``items``; paged by ``page``/``per_page``);
  ``401 {"message": "Bad credentials"}`` for a wrong token; a rate limit is ``403`` or ``429`` with
  ``retry-after`` and ``x-ratelimit-remaining``.
- Jira Cloud: ``POST /rest/api/3/issue`` (201 with ``id``, ``key``, ``self``; 400 with ``errors`` for an unknown
  project or a description that is not an Atlassian Document), ``GET /rest/api/3/issue/{key}``,
  ``POST /rest/api/3/search/jql`` (``issues``, ``isLast``, ``nextPageToken``); 401 without valid basic auth.

``fail_next(status, body, headers)`` makes the next request (of any kind) answer that instead, so a test
plays a rate limit, an outage or an expired token; every request is recorded in ``requests``.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from fake_http import Answer, FakeService, Seen

# --- Slack ---------------------------------------------------------------------------------------------------------


class FakeSlack(FakeService):
    """``chat.postMessage`` under ``/api``; ``messages`` holds what was posted, by channel."""

    def __init__(self, token: str = "xoxb-test-4242", channels: tuple[str, ...] = ("C0INCIDENT",)) -> None:
        super().__init__()
        self.token = token
        self.channels = set(channels)
        self.messages: list[dict[str, Any]] = []

    @property
    def api_url(self) -> str:
        return self.url + "/api"

    def route(self, seen: Seen) -> Answer:
        if seen.path != "/api/chat.postMessage" or seen.method != "POST":
            return Answer(404, {"ok": False, "error": "unknown_method"})
        if seen.headers.get("authorization") != f"Bearer {self.token}":
            return Answer(200, {"ok": False, "error": "invalid_auth"})
        body = seen.body or {}
        if body.get("channel") not in self.channels:
            return Answer(200, {"ok": False, "error": "channel_not_found"})
        ts = f"1757820000.{len(self.messages) + 1:06d}"
        message = {"type": "message", "text": body.get("text", ""), "ts": ts, "channel": body["channel"]}
        self.messages.append(message)
        return Answer(200, {"ok": True, "channel": body["channel"], "ts": ts, "message": message})


SLACK_RATE_LIMITED = Answer(429, {"ok": False, "error": "ratelimited"}, {"retry-after": "3"})


# --- GitHub --------------------------------------------------------------------------------------------------------


class FakeGitHub(FakeService):
    """Issues of one repository; ``searchable=False`` plays the search index lagging behind new issues, and
    ``fuzzy=True`` a search that matches words rather than the exact phrase (every issue is a hit)."""

    def __init__(
        self,
        token: str = "ghp_fakefakefakefakefakefakefakefake0001",
        repo: str = "acme/ops",
        *,
        searchable: bool = True,
        fuzzy: bool = False,
    ) -> None:
        super().__init__()
        self.token = token
        self.repo = repo
        self.searchable = searchable
        self.fuzzy = fuzzy
        self.issues: list[dict[str, Any]] = []

    def add_issue(self, title: str, body: str = "") -> None:
        """An issue someone filed by hand."""
        with self.lock:
            self._create({"title": title, "body": body})

    def close(self, number: int) -> None:
        with self.lock:
            self.issues[number - 1]["state"] = "closed"

    def route(self, seen: Seen) -> Answer:
        if seen.headers.get("authorization") != f"Bearer {self.token}":
            return Answer(
                401,
                {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"},
            )
        issues_path = f"/repos/{self.repo}/issues"
        if seen.method == "POST" and seen.path == issues_path:
            return self._create(seen.body or {})
        if seen.method == "GET" and (match := re.fullmatch(re.escape(issues_path) + r"/(\d+)", seen.path)):
            number = int(match.group(1))
            if 1 <= number <= len(self.issues):
                return Answer(200, self.issues[number - 1])
        if seen.method == "GET" and seen.path == "/search/issues":
            return self._search(seen.query)
        return Answer(
            404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}
        )

    def _create(self, body: dict[str, Any]) -> Answer:
        if not body.get("title"):
            return Answer(
                422,
                {
                    "message": "Validation Failed",
                    "errors": [{"resource": "Issue", "code": "missing_field", "field": "title"}],
                },
            )
        number = len(self.issues) + 1
        issue = {
            "id": 9000 + number,
            "number": number,
            "title": body["title"],
            "body": body.get("body") or "",
            "state": "open",
            "state_reason": None,
            "labels": [],
            "url": f"https://api.github.example/repos/{self.repo}/issues/{number}",
            "html_url": f"https://github.example/{self.repo}/issues/{number}",
            "_searchable": self.searchable,
        }
        self.issues.append(issue)
        return Answer(201, issue)

    def _search(self, query: dict[str, str]) -> Answer:
        q = query.get("q", "")
        phrases = re.findall(r'"([^"]+)"', q)
        repo = re.search(r"repo:(\S+)", q)
        hits = [
            issue
            for issue in self.issues
            if issue["_searchable"]
            and (not repo or repo.group(1) == self.repo)
            and (self.fuzzy or all(phrase in issue["body"] for phrase in phrases))
        ]
        per_page, page = int(query.get("per_page", 30)), int(query.get("page", 1))
        items = hits[(page - 1) * per_page : page * per_page]
        return Answer(200, {"total_count": len(hits), "incomplete_results": False, "items": items})


GITHUB_RATE_LIMITED = Answer(
    403, {"message": "You have exceeded a secondary rate limit."}, {"retry-after": "2", "x-ratelimit-remaining": "0"}
)


# --- Jira Cloud ----------------------------------------------------------------------------------------------------


class FakeJira(FakeService):
    """One Jira Cloud site with project ``OPS``; ``resolve(key)`` moves an issue to Done."""

    def __init__(
        self,
        email: str = "sre-bot@example.com",
        token: str = "ATATT3xFfGF0-fake-jira-token",
        projects: tuple[str, ...] = ("OPS",),
    ) -> None:
        super().__init__()
        self.credentials = base64.b64encode(f"{email}:{token}".encode()).decode()
        self.projects = set(projects)
        self.issues: list[dict[str, Any]] = []

    def resolve(self, key: str) -> None:
        with self.lock:
            issue = next(issue for issue in self.issues if issue["key"] == key)
            issue["fields"]["status"] = {"name": "Done", "statusCategory": {"key": "done", "name": "Done"}}

    def route(self, seen: Seen) -> Answer:
        if seen.headers.get("authorization") != f"Basic {self.credentials}":
            return Answer(
                401, {"errorMessages": ["Client must be authenticated to access this resource."], "errors": {}}
            )
        if seen.method == "POST" and seen.path == "/rest/api/3/issue":
            return self._create((seen.body or {}).get("fields") or {})
        if seen.method == "POST" and seen.path == "/rest/api/3/search/jql":
            return self._search(seen.body or {})
        if seen.method == "GET" and (match := re.fullmatch(r"/rest/api/3/issue/([A-Z]+-\d+)", seen.path)):
            found = [issue for issue in self.issues if issue["key"] == match.group(1)]
            if found:
                return Answer(200, found[0])
        return Answer(
            404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}
        )

    def _create(self, fields: dict[str, Any]) -> Answer:
        project = (fields.get("project") or {}).get("key")
        if project not in self.projects:
            return Answer(400, {"errorMessages": [], "errors": {"project": "valid project is required"}})
        description = fields.get("description")
        if description is not None and not (isinstance(description, dict) and description.get("type") == "doc"):
            return Answer(
                400,
                {
                    "errorMessages": [],
                    "errors": {
                        "description": "Operation value must be an Atlassian "
                        "Document (see the Atlassian Document "
                        "Format)"
                    },
                },
            )
        number = len(self.issues) + 1
        key = f"{project}-{number}"
        issue = {
            "id": str(10000 + number),
            "key": key,
            "self": f"{self.url}/rest/api/3/issue/{10000 + number}",
            "fields": {
                "summary": fields.get("summary", ""),
                "labels": list(fields.get("labels") or []),
                "description": description,
                "issuetype": fields.get("issuetype"),
                "status": {"name": "To Do", "statusCategory": {"key": "new", "name": "To Do"}},
            },
        }
        self.issues.append(issue)
        return Answer(201, {"id": issue["id"], "key": key, "self": issue["self"]})

    def _search(self, body: dict[str, Any]) -> Answer:
        jql = body.get("jql", "")
        project = re.search(r'project\s*=\s*"?([A-Z]+)"?', jql)
        label = re.search(r'labels\s*=\s*"([^"]+)"', jql)
        hits = [
            issue
            for issue in self.issues
            if (not project or issue["key"].startswith(project.group(1) + "-"))
            and (not label or label.group(1) in issue["fields"]["labels"])
        ]
        size = int(body.get("maxResults", 50))
        start = int(body.get("nextPageToken") or 0)
        page = hits[start : start + size]
        answer: dict[str, Any] = {
            "issues": [{"id": i["id"], "key": i["key"], "fields": i["fields"]} for i in page],
            "isLast": start + size >= len(hits),
        }
        if not answer["isLast"]:
            answer["nextPageToken"] = str(start + size)
        return Answer(200, answer)
