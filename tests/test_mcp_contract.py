"""What outside MCP clients see of the server: honest tool hints, a small tools/list, errors that say
what to send instead, prompt errors with the spec's codes, sampling in both protocol eras, progress
per drafting stage, and cancellation between stages."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import anyio
import anyio.to_thread
import jsonschema
import pytest
from conftest import EXAMPLE
from mcp import Client, MCPError
from mcp.types import CreateMessageResult, TextContent
from mcp_support import anyio_backend  # noqa: F401 - a fixture

from pm_agent.mcp_server.app import create_server
from pm_agent.mcp_server.params import MODEL_NOTE
from pm_agent.service import PostmortemService
from pm_agent.settings import Settings

pytestmark = pytest.mark.anyio
MAY_USE_A_MODEL = {"draft_postmortem", "five_whys", "rewrite_blameless", "propose_actions", "remember_incident"}
BLAMEFUL = "Dave forgot to run the migration and should have checked the dashboard before deploying."
TIME_ONLY = (
    "Checkout outage\n14:05 checkout 502s alert fired\n14:20 rolled back the deploy\n14:31 errors back to normal\n"
)


async def call(tool: str, arguments: dict, **client_options):
    async with Client(create_server(), **client_options) as client:
        return await client.call_tool(tool, arguments)


async def listed_tools():
    async with Client(create_server()) as client:
        return (await client.list_tools()).tools


# --- annotations and size --------------------------------------------------------------------


async def test_only_the_tools_that_may_send_the_incident_to_a_model_are_open_world_and_say_when_data_leaves():
    tools = await listed_tools()
    assert {t.name for t in tools if t.annotations.open_world_hint} == MAY_USE_A_MODEL
    assert {t.name for t in tools if MODEL_NOTE in t.description} == MAY_USE_A_MODEL


def test_the_readme_marks_model_exactly_the_tools_that_may_send_the_incident_to_a_model():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    assert {row.split("`")[1] for row in rows if "*Model.*" in row} == MAY_USE_A_MODEL


async def test_tools_list_stays_under_25_kb_with_every_tool_its_input_and_output_schema():
    tools = await listed_tools()
    wire = json.dumps({"tools": [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]})
    assert len(tools) == 13 and all(t.output_schema and t.input_schema for t in tools)
    assert len(wire.encode()) < 25_000
    assert "$defs" not in wire


async def test_the_compact_output_schema_accepts_the_real_results():
    tools = {t.name: t for t in await listed_tools()}
    draft = await call("draft_postmortem", {"paths": [str(EXAMPLE)]})
    whys = await call("five_whys", {"paths": [str(EXAMPLE)]})
    jsonschema.validate(draft.structured_content, tools["draft_postmortem"].output_schema)
    jsonschema.validate(whys.structured_content, tools["five_whys"].output_schema)
    assert set(tools["draft_postmortem"].output_schema["properties"]) == set(draft.structured_content)


async def test_remember_incident_takes_the_postmortem_as_json_text_and_checks_it_here(monkeypatch):
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    service = PostmortemService()
    postmortem = service.draft(service.load([EXAMPLE]), score=False)
    broken = {**postmortem.model_dump(mode="json"), "timeline": [{"at": "yesterday-ish"}]}
    async with Client(create_server()) as client:
        stored = await client.call_tool("remember_incident", {"postmortem": postmortem.model_dump_json()})
        refused = await client.call_tool("remember_incident", {"postmortem": broken})
    assert stored.is_error is False and stored.structured_content["source_id"] == postmortem.incident_id
    assert refused.is_error is True
    assert refused.content[0].text.startswith(
        "Error executing tool remember_incident: argument 'postmortem.timeline.0.at': "
    )


# --- argument errors ---------------------------------------------------------------------------


async def test_a_misspelt_argument_is_refused_naming_the_closest_valid_one():
    result = await call("draft_postmortem", {"pahts": [str(EXAMPLE)]})
    assert result.is_error is True
    assert result.content[0].text == (
        "Error executing tool draft_postmortem: unknown argument 'pahts' (did you mean 'paths'?). "
        "draft_postmortem takes: incident, paths, date, timezone, roster, output_format."
    )


async def test_a_wrong_type_or_a_missing_argument_says_what_was_expected_and_what_to_send():
    wrong = await call("draft_postmortem", {"paths": 5})
    missing = await call("review_why_chain", {})
    assert wrong.content[0].text == (
        "Error executing tool draft_postmortem: argument 'paths': expected a valid list, got an integer 5; "
        "send a list of strings."
    )
    assert missing.content[0].text == (
        "Error executing tool review_why_chain: argument 'steps' is missing; send a list (at least 1) of strings."
    )


async def test_an_empty_path_is_refused_instead_of_reading_the_servers_folder():
    for paths in ([""], ["  "], [str(EXAMPLE), ""]):
        result = await call("draft_postmortem", {"paths": paths})
        assert result.is_error is True
        assert result.content[0].text == (
            "Error executing tool draft_postmortem: argument 'paths' holds an empty path; send file paths, "
            "or the incident's content in 'incident'."
        )


async def test_messages_name_the_tools_arguments_not_the_cli_flags():
    no_date = await call("draft_postmortem", {"incident": TIME_ONLY})
    bad_date = await call("draft_postmortem", {"incident": TIME_ONLY, "date": "2024-13-01"})
    assert "--" not in no_date.content[0].text and "send the 'date' argument" in no_date.content[0].text
    assert bad_date.content[0].text.startswith(
        "Error executing tool draft_postmortem: 'date' '2024-13-01' is not a date like 2024-03-01."
    )


async def test_an_error_echoes_a_megabyte_long_value_cut_to_200_characters():
    huge = "x" * 1_000_000
    result = await call("mark_action_done", {"action_id": huge})
    text = result.content[0].text
    assert result.is_error is True
    assert len(text) < 1_000 and f"{'x' * 200}…(1000000 chars)" in text


# --- prompts -----------------------------------------------------------------------------------


async def test_prompt_errors_are_invalid_params_errors_saying_what_is_wrong(caplog):
    async with Client(create_server()) as client:
        with pytest.raises(MCPError) as missing:
            await client.get_prompt("five_whys_session", {})
        with pytest.raises(MCPError) as unknown:
            await client.get_prompt("five_why_session", {"problem": "502s"})
        with pytest.raises(MCPError) as misspelt:
            await client.get_prompt("five_whys_session", {"problem": "502s", "incidnet": "x"})
    assert (missing.value.error.code, missing.value.error.message) == (
        -32602,
        "prompt five_whys_session: missing argument 'problem'",
    )
    assert (unknown.value.error.code, unknown.value.error.message) == (
        -32602,
        "unknown prompt 'five_why_session'; prompts: guided_postmortem, five_whys_session",
    )
    assert (misspelt.value.error.code, misspelt.value.error.message) == (
        -32602,
        "prompt five_whys_session: unknown argument 'incidnet' (did you mean 'incident'?). "
        "five_whys_session takes: problem, incident",
    )
    assert "Traceback" not in caplog.text


# --- sampling ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_an_invalid_sampled_answer_gets_one_repair_round_in_both_protocol_eras(mode):
    clean = "The migration was not part of the deploy steps."
    replies = iter(["no JSON here", json.dumps({"rewritten": clean})])

    async def client_model(context, params):
        return CreateMessageResult(
            role="assistant", model="client-model", content=TextContent(type="text", text=next(replies))
        )

    result = await call("rewrite_blameless", {"text": BLAMEFUL}, mode=mode, sampling_callback=client_model)
    assert (result.structured_content["rewritten"], result.structured_content["generated_by"]) == (
        clean,
        "sampling client-model",
    )


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_remember_incident_drafts_from_the_incident_data_with_the_backend_the_other_model_tools_use(
    mode, monkeypatch
):
    monkeypatch.setenv("PM_AGENT_BACKEND", "sampling")
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    asked = []

    async def client_model(context, params):
        asked.append(params.system_prompt)
        return CreateMessageResult(
            role="assistant", model="client-model", content=TextContent(type="text", text="no JSON here")
        )

    result = await call("remember_incident", {"paths": [str(EXAMPLE)]}, mode=mode, sampling_callback=client_model)
    assert result.is_error is False
    assert result.structured_content["original"]["generated_by"] == "offline (fallback: sampling answer invalid)"
    assert len(asked) == 2  # the question and its one repair round


@pytest.mark.parametrize("limit", [{"timeout_s": 0.2}, {"deadline_s": 0.2}])
async def test_a_client_that_never_answers_a_sample_gets_the_offline_result_with_a_note_once_the_time_is_up(limit):
    async def never_answers(context, params):
        await anyio.sleep_forever()

    settings = Settings(backend="sampling", anthropic_api_key=None, **limit)
    with anyio.fail_after(60):  # a guard, not a timing: without a limit on the sample the call never ends
        async with Client(create_server(settings), mode="legacy", sampling_callback=never_answers) as client:
            result = await client.call_tool("rewrite_blameless", {"text": BLAMEFUL})
    assert result.is_error is False
    assert result.structured_content["generated_by"] == "offline (fallback: sampling timeout)"
    assert result.structured_content["backend_notes"] == [
        "The sampling backend failed, so this is the offline result: "
        "the MCP client's model could not answer 'blameless_rewrite' in time: no answer within 0.2s"
    ]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_sampling_backend_with_a_client_that_cannot_sample_says_what_to_do_instead(mode, monkeypatch):
    monkeypatch.setenv("PM_AGENT_BACKEND", "sampling")
    result = await call("rewrite_blameless", {"text": BLAMEFUL}, mode=mode)
    assert result.is_error is True
    assert result.content[0].text == (
        "Error executing tool rewrite_blameless: PM_AGENT_BACKEND is 'sampling', but this client does not offer "
        "sampling (its own model); set ANTHROPIC_API_KEY and PM_AGENT_BACKEND=anthropic, or use the offline "
        "backend (PM_AGENT_BACKEND=offline)"
    )


# --- progress and cancellation -----------------------------------------------------------------


class CountingService(PostmortemService):
    """The real service, noting which drafting stages ran and when the front end let go of the drafting:
    finished it, or closed its steps (which it must do when a call is cancelled, even before they began)."""

    def __init__(self) -> None:
        super().__init__()
        self.ran: list[str] = []
        self.rendered = 0
        self.stopped = threading.Event()

    def draft(self, incident, **options):
        self.ran += ["timeline", "score", "analysis"]
        try:
            return super().draft(incident, **options)
        finally:
            self.stopped.set()

    def draft_steps(self, incident, **options):
        return CountedSteps(self, super().draft_steps(incident, **options))

    def render(self, postmortem, fmt="markdown"):
        self.rendered += 1
        return super().render(postmortem, fmt)


class CountedSteps:
    """The service's drafting steps, each noted as it runs; closing them (or running out) counts as stopped."""

    def __init__(self, service: CountingService, steps) -> None:
        self.service = service
        self.steps = steps

    def __iter__(self):
        return self

    def __next__(self):
        try:
            stage, postmortem = next(self.steps)
        except StopIteration:
            self.service.stopped.set()
            raise
        self.service.ran.append(stage)
        return stage, postmortem

    def close(self) -> None:
        self.steps.close()
        self.service.stopped.set()


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_draft_cancelled_after_reading_the_incident_stops_after_the_stage_in_hand(mode):
    service = CountingService()
    stages = []

    async def on_progress(progress, total, message):
        stages.append(message.split(":")[0])
        scope.cancel()  # the client gives up as soon as the incident is read

    async with Client(create_server(service=service), mode=mode) as client:
        with anyio.CancelScope() as scope:
            await client.call_tool("draft_postmortem", {"paths": [str(EXAMPLE)]}, progress_callback=on_progress)
        # The server lets go of the drafting (it may not even have begun, if the cancel came first).
        assert await anyio.to_thread.run_sync(service.stopped.wait, 5)
        await client.list_tools()
    assert stages == ["ingest"]
    assert service.ran in ([], ["timeline"]) and service.rendered == 0


class FakeRequest:
    def __init__(self) -> None:
        self.cancel_requested = anyio.Event()


class FakeContext:
    """What Progress uses of a tool's context: the request's cancel flag, and progress reports."""

    def __init__(self) -> None:
        self.request_context = FakeRequest()
        self.reported: list[tuple[int, int, str]] = []

    async def report_progress(self, progress, total, message):
        self.reported.append((progress, total, message))


async def test_progress_stops_a_call_whose_client_cancelled_even_when_the_sdk_only_flags_it():
    from mcp.server.mcpserver.exceptions import ToolError

    from pm_agent.mcp_server.context import Progress

    ctx = FakeContext()
    progress = Progress(ctx, stages=5)
    await progress.advance("ingest: read 3 events")
    ctx.request_context.cancel_requested.set()
    with pytest.raises(ToolError, match="cancelled by the client after 2 of 5 stages"):
        await progress.advance("timeline: 3 events")
    assert ctx.reported == [(1, 5, "ingest: read 3 events")]


async def test_a_malformed_stored_id_is_an_invalid_params_error_not_an_internal_one(monkeypatch):
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    async with Client(create_server()) as client:
        with pytest.raises(MCPError) as refused:
            await client.read_resource("postmortem://" + "y" * 5000)
    assert (refused.value.error.code, refused.value.error.message) == (
        -32602,
        "the incident id must be 1 to 200 characters; find ids with find_related_incidents",
    )


async def test_a_replayed_answer_serves_only_the_request_it_answered_and_a_foreign_state_counts_as_none():
    from pm_agent.backends.sampling import SampleReplay

    reply = CreateMessageResult(role="assistant", model="m", content=TextContent(type="text", text="{}"))
    first = SampleReplay()
    with pytest.raises(Exception, match="waiting for the client's model"):
        await first.create_message(messages=[], max_tokens=10)
    resumed = SampleReplay.resumed(first.state(), {"sample": reply})
    assert await resumed.create_message(messages=[], max_tokens=10) == reply
    other = SampleReplay.resumed(first.state(), {"sample": reply})
    with pytest.raises(Exception, match="waiting for the client's model"):
        await other.create_message(messages=[], max_tokens=99)  # a different request: asked anew
    assert other.pending == {"messages": [], "max_tokens": 99}
    assert SampleReplay.resumed("not a state", {"sample": reply}).answers == []
