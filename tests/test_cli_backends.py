"""The CLI with a model backend: the real SDK against a local fake Messages API, and the fallback."""

from __future__ import annotations

import json

from conftest import EXAMPLE
from fake_anthropic import UNAUTHORIZED, FakeAnthropicServer, malformed, tool_use, trickled

from pm_agent.assisted.draft import DRAFT_TOOL, sections_of
from pm_agent.cli import main
from pm_agent.service import PostmortemService


def offline_example():
    service = PostmortemService()
    return service.draft(service.load([EXAMPLE]), backend="offline")


def use_fake_api(monkeypatch, api):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
    monkeypatch.setenv("PM_AGENT_MAX_ATTEMPTS", "1")


def test_draft_with_the_anthropic_backend_uses_the_model_summary_and_records_the_backend(monkeypatch, capsys):
    sections = sections_of(offline_example()).model_dump(
        mode="json", exclude={"root_cause": {"generated_by", "backend_notes"}}
    )
    sections["summary"] = (
        "The payments API returned 502s from 14:02 UTC after config v412 lowered pool_size from 80 to 20."
    )
    with FakeAnthropicServer(tool_use(DRAFT_TOOL, sections)) as api:
        use_fake_api(monkeypatch, api)
        assert main(["draft", str(EXAMPLE), "--backend", "anthropic", "--format", "json"]) == 0
    draft = json.loads(capsys.readouterr().out)
    assert draft["summary"] == sections["summary"]
    assert draft["generated_by"] == "anthropic claude-sonnet-4-6"
    assert draft["usage"]["input_tokens"] == 1520
    sent = api.requests[0].body
    assert sent["tool_choice"]["name"] == DRAFT_TOOL
    assert "payments-api config v412 rolled out" in json.dumps(sent["messages"])


def test_auto_picks_claude_when_a_key_is_set(monkeypatch, capsys):
    with FakeAnthropicServer(UNAUTHORIZED) as api:
        use_fake_api(monkeypatch, api)
        assert main(["draft", str(EXAMPLE), "--format", "json", "--no-score"]) == 0
    out, err = capsys.readouterr()
    assert len(api.requests) == 1
    assert json.loads(out)["generated_by"].startswith("offline (fallback: anthropic")
    assert "Check ANTHROPIC_API_KEY, or run with --backend offline." in err


def test_a_gateway_answering_200_with_html_gives_the_offline_draft_saying_the_answer_was_unusable(monkeypatch, capsys):
    with FakeAnthropicServer(malformed(b"<html><body>Bad gateway</body></html>", "text/html")) as api:
        use_fake_api(monkeypatch, api)
        assert main(["draft", str(EXAMPLE), "--backend", "anthropic", "--format", "json", "--no-score"]) == 0
    draft = json.loads(capsys.readouterr().out)
    assert draft["generated_by"] == "offline (fallback: anthropic answer unusable)"
    assert draft["backend_notes"] == [
        "The anthropic backend failed, so this is the offline result: Claude's answer was unusable: the API returned 200 "
        "with not JSON (text/html, 37 bytes: '<html><body>Bad gateway</body></html>')"
    ]


def test_a_gateway_trickling_its_answer_gives_the_offline_draft_by_the_deadline(monkeypatch, capsys):
    sections = sections_of(offline_example()).model_dump(
        mode="json", exclude={"root_cause": {"generated_by", "backend_notes"}}
    )
    with FakeAnthropicServer(trickled(tool_use(DRAFT_TOOL, sections))) as api:  # thousands of bytes, 20 ms apart
        use_fake_api(monkeypatch, api)
        monkeypatch.setenv("PM_AGENT_DEADLINE_S", "0.5")
        assert main(["draft", str(EXAMPLE), "--backend", "anthropic", "--format", "json", "--no-score"]) == 0
    draft = json.loads(capsys.readouterr().out)
    assert draft["generated_by"] == "offline (fallback: anthropic timeout after 1 attempt)"


def test_a_refused_key_falls_back_to_the_offline_draft_and_says_so(monkeypatch, capsys):
    with FakeAnthropicServer(UNAUTHORIZED) as api:
        use_fake_api(monkeypatch, api)
        assert main(["draft", str(EXAMPLE), "--backend", "anthropic", "--no-score"]) == 0
    out, err = capsys.readouterr()
    assert len(api.requests) == 1  # a 401 is never retried
    assert "**Drafted by:** pm-agent (offline (fallback: anthropic" in out
    assert err.startswith("pm-agent: WARNING: anthropic backend failed for draft")


def test_the_anthropic_backend_without_a_key_is_a_clear_error(capsys):
    assert main(["draft", str(EXAMPLE), "--backend", "anthropic"]) == 2
    assert capsys.readouterr().err == (
        "pm-agent: error: the anthropic backend needs ANTHROPIC_API_KEY; set it, or use --backend offline\n"
    )


def test_the_judge_needs_a_model_backend(capsys):
    assert main(["score", str(EXAMPLE), "--judge"]) == 2
    assert (
        capsys.readouterr().err
        == "pm-agent: error: the judge needs a model: set ANTHROPIC_API_KEY or pass --backend anthropic\n"
    )
