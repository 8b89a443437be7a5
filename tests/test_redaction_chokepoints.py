"""Nothing unredacted reaches a model or the memory: incidents are redacted as the service loads them,
every request a backend sends is redacted again, and texts given directly are size-limited.

Secret-looking values are assembled at run time (see test_redaction.py).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fake_anthropic import FakeAnthropicServer, tool_use

from pm_agent.assisted import BlamelessText, rewrite_request
from pm_agent.backends import FakeBackend, generate_or_fallback, select_backend
from pm_agent.backends.sampling import sampling_params
from pm_agent.errors import InputError
from pm_agent.models import BlamelessReport
from pm_agent.service import PostmortemService
from pm_agent.settings import Settings

GHP = "gh" + "p_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
XOXB = "xo" + "xb-" + "000000000000-000000000000-" + "fakeFAKEfakeFAKEfake0000"
LEAKY = f"""2024-03-01T14:02:00Z alert checkout-api 502s above 5%
2024-03-01T14:04:00Z chat dana@example.com: deploy used {GHP}, rotating it
2024-03-01T14:09:00Z chat bot token {XOXB} posted to #incident
2024-03-01T14:30:00Z note rolled back v2.14.3; errors at 0% by 14:41
"""
PASSAGE = f"Sam pasted {GHP} into #ops and dana@example.com rotated it at 14:05."
REDACTED_PASSAGE = "Sam pasted [REDACTED:github-token] into #ops and [REDACTED:email] rotated it at 14:05."


def rewrite(text: str):
    return rewrite_request(text, BlamelessReport(original=text, rewritten=text))


def test_the_scripted_backend_receives_the_request_redacted():
    fake = FakeBackend(BlamelessText(rewritten="The token was rotated at 14:05."))
    generation = generate_or_fallback(fake, rewrite(PASSAGE))
    request, rendered = fake.history[0]
    assert generation.value.rewritten == "The token was rotated at 14:05."
    assert list(request.data.values()) == [REDACTED_PASSAGE]
    assert GHP not in rendered.system + rendered.user and "dana@example.com" not in rendered.user
    assert REDACTED_PASSAGE in rendered.user


def test_a_backend_chosen_with_e_mail_redaction_off_keeps_addresses_but_not_secrets():
    fake = select_backend(Settings(redact_emails=False), override="fake").enqueue(BlamelessText(rewritten="x"))
    fake.generate(rewrite(PASSAGE))
    request, _ = fake.history[0]
    assert list(request.data.values()) == [
        "Sam pasted [REDACTED:github-token] into #ops and dana@example.com rotated it at 14:05."
    ]


def test_what_the_client_model_is_asked_through_sampling_is_redacted():
    params = sampling_params(rewrite(PASSAGE))
    sent = json.dumps([m.model_dump(mode="json") for m in params["messages"]]) + params["system_prompt"]
    assert GHP not in sent and "dana@example.com" not in sent
    assert REDACTED_PASSAGE in sent


def test_what_claude_is_sent_over_http_is_redacted(caplog):
    answer = BlamelessText(rewritten="The token was rotated at 14:05.")
    with FakeAnthropicServer(tool_use("record_blameless_text", answer.model_dump())) as api:
        backend = select_backend(Settings(anthropic_api_key="test", anthropic_base_url=api.url, max_attempts=1))
        with caplog.at_level("WARNING", logger="pm_agent.backends"):
            backend.generate(rewrite(PASSAGE))
        backend.close()
    sent = json.dumps(api.requests[0].body)
    assert GHP not in sent and "dana@example.com" not in sent
    assert REDACTED_PASSAGE in sent
    assert [m.getMessage() for m in caplog.records] == [
        "redacted from the blameless_rewrite request before sending it: 1 github-token, 1 email"
    ]


def test_the_service_loads_incidents_redacted_and_warns_with_kinds_and_counts(caplog):
    with caplog.at_level("WARNING", logger="pm_agent.guards.redaction"):
        incident = PostmortemService().load_text(LEAKY, name="leaky.txt")
    texts = [event.text for event in incident.events]
    assert texts == [
        "alert checkout-api 502s above 5%",
        "chat [REDACTED:email]: deploy used [REDACTED:github-token], rotating it",
        "chat bot token [REDACTED:slack-token] posted to #incident",
        "note rolled back v2.14.3; errors at 0% by 14:41",
    ]
    assert GHP not in incident.model_dump_json() and XOXB not in incident.model_dump_json()
    assert [m.getMessage() for m in caplog.records] == [
        "redacted from leaky.txt before use: 1 github-token, 1 email, 1 slack-token"
    ]


def test_files_loaded_by_path_are_redacted_too(tmp_path):
    path = tmp_path / "leaky.txt"
    path.write_text(LEAKY)
    service = PostmortemService(Settings(redact_emails=False))
    dumped = service.load([path]).model_dump_json()
    assert GHP not in dumped and XOXB not in dumped
    assert "dana@example.com" in dumped


def test_pm_agent_draft_prints_no_token_and_names_what_it_redacted_on_stderr(tmp_path):
    path = tmp_path / "leaky.txt"
    path.write_text(LEAKY)
    done = subprocess.run(
        [sys.executable, "-m", "pm_agent", "draft", str(path), "--backend", "offline", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert GHP not in done.stdout and XOXB not in done.stdout and "dana@example.com" not in done.stdout
    assert "[REDACTED:github-token]" in done.stdout
    assert (
        f"pm-agent: WARNING: redacted from {path} before use: 1 github-token, 1 email, 1 slack-token"
        in done.stderr.splitlines()
    )
    assert GHP not in done.stderr


LIMIT = 1000


@pytest.mark.parametrize(
    ("call", "what", "size"),
    [
        (lambda s, text: s.rewrite_blameless(text, backend="offline"), "text to rewrite", 1200),
        (lambda s, text: s.score("# Postmortem\n" + text), "postmortem", 1213),
        (
            lambda s, text: s.five_whys("checkout returned 502s", facts=[text], backend="offline"),
            "problem statement with its facts",
            1222,
        ),
        (lambda s, text: s.review_chain(["pool exhausted", text]), "why chain", 1214),
    ],
    ids=["rewrite", "score", "five-whys", "review-chain"],
)
def test_a_text_over_the_input_limit_is_refused_naming_the_limit_and_the_setting(call, what, size):
    service = PostmortemService(Settings(max_input_bytes=LIMIT))
    with pytest.raises(InputError) as refused:
        call(service, "é" * 600)  # 600 characters, 1,200 bytes
    assert str(refused.value) == (
        f"the {what} is {size:,} bytes, over the limit of 1,000 bytes; "
        "send a shorter text, or raise the limit with PM_AGENT_MAX_INPUT_BYTES"
    )


def test_a_text_at_the_limit_is_accepted():
    service = PostmortemService(Settings(max_input_bytes=LIMIT))
    text = "The deploy check did not run. " * 33  # 990 bytes
    assert service.rewrite_blameless(text, backend="offline").original == text
