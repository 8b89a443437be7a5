"""Settings: the one place that reads the environment (``PM_AGENT_*``).

Front ends build one :class:`Settings` at start-up and pass it down; explicit command-line
flags override it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from pm_agent.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parent.parent


def running_from_checkout() -> bool:
    """True when the package is imported from a source tree (``src/pm_agent`` beside ``pyproject.toml``)."""
    return (CHECKOUT_DIR / "pyproject.toml").is_file() and (CHECKOUT_DIR / "src" / "pm_agent").is_dir()


def user_data_dir() -> Path:
    """The per-user data directory (XDG on Linux, Application Support on macOS, AppData on Windows)."""
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif os.uname().sysname == "Darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "pm-agent"


def default_memory_dir() -> Path:
    return CHECKOUT_DIR / "memory" if running_from_checkout() else user_data_dir() / "memory"


class Settings(BaseSettings):
    """Configuration from ``PM_AGENT_*`` variables (and ``ANTHROPIC_*`` for the Claude backend)."""

    model_config = SettingsConfigDict(env_prefix="PM_AGENT_", extra="ignore")

    def __init__(self, **values: Any) -> None:
        """Read the environment; an unusable value is a :class:`ConfigError` naming the variable."""
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(_explain(exc)) from None

    backend: Literal["auto", "offline", "anthropic", "sampling", "fake"] = "auto"
    model: str = "claude-sonnet-4-6"
    memory_dir: Path = Field(default_factory=default_memory_dir)
    chroma_url: str | None = None
    embedding_model_dir: Path | None = None
    embedder: Literal["auto", "minilm", "lexical"] = Field(
        default="auto",
        description="Memory embeddings: the MiniLM model when found (auto, warning when not), "
        "the model or an error (minilm), or the lexical embedding on purpose (lexical).",
    )
    output_dir: Path = Field(default_factory=lambda: user_data_dir() / "drafts")
    max_input_bytes: int = 20 * 1024 * 1024
    max_events: int = 50_000
    http_token: SecretStr | None = Field(
        default=None, description="Bearer token `pm-agent serve --transport http` requires (PM_AGENT_HTTP_TOKEN)."
    )
    max_field_chars: int = Field(
        default=20_000, ge=100, description="Longest text one field may hold (an event's text, a title, a summary)."
    )

    # --- automated drafting and hardening (issue 8) --------------------------------------------
    pagerduty_secret: SecretStr | None = Field(
        default=None, description="Secret of the PagerDuty v3 webhook subscription (X-PagerDuty-Signature)."
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="Secret signing POST /webhooks/incident (X-PM-Agent-Signature: sha256=<hex>)."
    )
    queue_dir: Path = Field(
        default_factory=lambda: user_data_dir() / "queue",
        description="The durable queue of incidents waiting to be drafted (webhooks and watch).",
    )
    redact_emails: bool = Field(default=True, description="Redact e-mail addresses too (secrets are always redacted).")
    # --- fetch on close: read the whole incident from PagerDuty and Slack (read-only tokens) -----------
    pagerduty_token: SecretStr | None = Field(
        default=None,
        description="PagerDuty REST API v2 key (read-only is enough) to fetch a resolved incident's "
        "log entries, notes and alerts before drafting it.",
    )
    pagerduty_url: str = Field(
        default="https://api.pagerduty.com", description="The PagerDuty REST API's address (a proxy, a fake in tests)."
    )
    slack_token: SecretStr | None = Field(
        default=None,
        description="Slack bot token: channels:history, groups:history and users:read to read the "
        "incident's channel; chat:write as well to post each draft's summary (with slack_summary).",
    )
    slack_url: str = Field(default="https://slack.com/api", description="The Slack Web API's address (or a proxy).")
    fetch_timeout_s: float = Field(
        default=30.0, gt=0, description="Timeout of one PagerDuty or Slack request, in seconds."
    )
    input_roots: str = Field(
        default="",
        description="Folders the MCP server's tools may read incident files from, separated by ':' (';' on "
        "Windows); by default the folder the server was started in.",
    )

    # --- handing a draft back: a Slack summary, action items filed in a tracker ------------------
    slack_summary: bool = Field(
        default=False,
        description="Post a summary of each draft to the incident's Slack channel (needs slack_token "
        "with chat:write); off by default, so a token set to read channels never posts.",
    )
    slack_channel: str | None = Field(
        default=None, description="Channel a draft's summary goes to when the incident names none (an id like C0123)."
    )
    tracker: Literal["none", "github", "jira"] = Field(
        default="none", description="Where each open action item is filed as an issue: none, github or jira."
    )
    github_token: SecretStr | None = Field(
        default=None, description="GitHub token with Issues read and write on PM_AGENT_GITHUB_REPO."
    )
    github_repo: str | None = Field(default=None, description="The repository issues are filed in, as owner/name.")
    github_url: str = Field(
        default="https://api.github.com",
        description="GitHub's REST API address (GitHub Enterprise: https://HOST/api/v3).",
    )
    jira_url: str | None = Field(default=None, description="The Jira Cloud site, e.g. https://your-team.atlassian.net.")
    jira_email: str | None = Field(default=None, description="The Atlassian account the Jira API token belongs to.")
    jira_token: SecretStr | None = Field(default=None, description="Jira Cloud API token of PM_AGENT_JIRA_EMAIL.")
    jira_project: str | None = Field(default=None, description="Key of the Jira project issues are filed in, e.g. OPS.")
    jira_issue_type: str = Field(default="Task", description="Issue type of the filed actions.")

    # --- model backends (issue 6) ------------------------------------------------------------
    anthropic_api_key: SecretStr | None = Field(
        default=None,
        validation_alias="ANTHROPIC_API_KEY",
        description="Key for the Claude backend (ANTHROPIC_API_KEY).",
    )
    anthropic_base_url: str | None = Field(
        default=None,
        validation_alias="ANTHROPIC_BASE_URL",
        description="The API's address behind a gateway (ANTHROPIC_BASE_URL).",
    )
    max_tokens: int = Field(default=8192, ge=256, le=20_000, description="Output token limit per model call.")
    timeout_s: float = Field(default=60.0, gt=0, description="Timeout of one model call, in seconds.")
    max_attempts: int = Field(
        default=5, ge=1, description="Attempts per model call, retries on 429/5xx/timeouts included."
    )
    deadline_s: float = Field(default=120.0, gt=0, description="Total time one model call may take across its retries.")
    cassette_mode: Literal["off", "record", "replay"] = "off"
    cassette_dir: Path | None = Field(
        default=None, description="Where recorded model answers are kept (record/replay)."
    )


def _explain(exc: ValidationError) -> str:
    """``PM_AGENT_MAX_ATTEMPTS='abc': Input should be a valid integer`` for the first bad setting."""
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else "?"
    field = Settings.model_fields.get(name)
    alias = field.validation_alias if field is not None and isinstance(field.validation_alias, str) else None
    variable = alias or f"PM_AGENT_{name.upper()}"
    return f"{variable}={error.get('input')!r}: {error['msg']}"
