"""Cassettes: a Claude run recorded once replays offline, with zero network."""

from __future__ import annotations

import json

from fake_anthropic import OVERLOADED, FakeAnthropicServer, tool_use

from pm_agent.assisted import BlamelessText, rewrite_request
from pm_agent.backends import RetryPolicy, generate_or_fallback, select_backend
from pm_agent.backends.anthropic_backend import AnthropicBackend
from pm_agent.backends.cassette import CASSETTE_FILE, CassetteTransport
from pm_agent.models import BlamelessReport
from pm_agent.settings import Settings

TEXT = "Dana forgot to raise the pool_size of 20."
FIRST = BlamelessText(rewritten="The pool_size stayed at 20; no check compared it with peak load.")
SECOND = BlamelessText(rewritten="pool_size remained 20 because nothing validated it against peak load.")
NO_WAIT = RetryPolicy(max_attempts=3, deadline_s=30.0, sleep=lambda seconds: None)


def request():
    return rewrite_request(TEXT, BlamelessReport(original=TEXT, rewritten=TEXT))


def backend(url: str, transport: CassetteTransport) -> AnthropicBackend:
    return AnthropicBackend(api_key="test", base_url=url, transport=transport, retry=NO_WAIT)


def test_a_recorded_run_replays_answer_for_answer_after_the_api_is_gone(tmp_path):
    cassette = tmp_path / CASSETTE_FILE
    with FakeAnthropicServer(
        OVERLOADED,
        tool_use("record_blameless_text", FIRST.model_dump()),
        tool_use("record_blameless_text", SECOND.model_dump()),
    ) as api:
        recorder = backend(api.url, CassetteTransport(cassette, "record"))
        recorded = [recorder.generate(request()).value, recorder.generate(request()).value]
    replayer = backend(api.url, CassetteTransport(cassette, "replay"))

    replayed = [replayer.generate(request()).value, replayer.generate(request()).value]

    assert recorded == replayed == [FIRST, SECOND]
    assert len(api.requests) == 3  # the 529, then two answers; the replay reached nothing
    entries = json.loads(cassette.read_text())["entries"]
    assert sorted(key.rsplit("#", 1)[1] for key in entries) == ["0", "1"]  # the 529 was not stored
    assert {entry["request"]["tools"][0]["name"] for entry in entries.values()} == {"record_blameless_text"}


def test_a_request_the_cassette_lacks_fails_once_without_retries(tmp_path):
    cassette = tmp_path / CASSETTE_FILE
    cassette.write_text('{"version": 1, "entries": {}}')
    attempts: list[float] = []
    replayer = AnthropicBackend(
        api_key="test",
        base_url="http://127.0.0.1:9",
        transport=CassetteTransport(cassette, "replay"),
        retry=RetryPolicy(max_attempts=3, sleep=attempts.append),
    )

    generation = generate_or_fallback(replayer, request())

    assert generation.generated_by == "offline (fallback: anthropic 400)"
    assert "cassette_miss: no recorded answer for request" in generation.notes[0]
    assert attempts == []


def test_settings_replay_a_cassette_without_an_api_key(tmp_path):
    with FakeAnthropicServer(tool_use("record_blameless_text", FIRST.model_dump())) as api:
        recorder = select_backend(
            Settings(
                backend="anthropic",
                anthropic_api_key="test",
                anthropic_base_url=api.url,
                cassette_mode="record",
                cassette_dir=tmp_path,
            )
        )
        recorder.generate(request())

    replayer = select_backend(
        Settings(
            backend="anthropic",
            anthropic_api_key=None,
            anthropic_base_url=api.url,
            cassette_mode="replay",
            cassette_dir=tmp_path,
        )
    )

    assert replayer.generate(request()).value == FIRST
    assert len(api.requests) == 1
