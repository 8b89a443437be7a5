"""The MCP server in-process, through the SDK's own client: every tool, resource and prompt."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import EXAMPLE, REPO
from mcp import Client, MCPError
from mcp.types import CreateMessageResult, TextContent
from mcp_support import anyio_backend, expected_draft  # noqa: F401 - anyio_backend is a fixture

from pm_agent.cli import main as cli_main
from pm_agent.ingest.loader import UNKNOWN_FORMAT
from pm_agent.mcp_server.app import create_server
from pm_agent.mcp_server.params import INCIDENT_HINT
from pm_agent.mcp_server.prompts import five_whys_session, guided_postmortem
from pm_agent.memory import MemoryRecord
from pm_agent.memory.actions import select, tracked_actions
from pm_agent.models import ActionItem
from pm_agent.render import analysis as render_analysis
from pm_agent.service import PostmortemService

pytestmark = pytest.mark.anyio

ANALYSIS_TOOLS = {
    "draft_postmortem",
    "five_whys",
    "review_why_chain",
    "rewrite_blameless",
    "propose_actions",
    "check_actions",
    "score_postmortem",
    "fishbone",
}
BLAMEFUL = "Dave forgot to run the migration and should have checked the dashboard before deploying."


def json_of(model) -> object:
    if isinstance(model, list):
        return [m.model_dump(mode="json") for m in model]
    return model.model_dump(mode="json")


async def call(tool: str, arguments: dict, **server_options):
    async with Client(create_server(**server_options)) as client:
        return await client.call_tool(tool, arguments)


async def test_every_tool_is_listed_read_only_idempotent_with_input_and_output_schemas():
    async with Client(create_server()) as client:
        tools = (await client.list_tools()).tools
    assert {tool.name for tool in tools} >= ANALYSIS_TOOLS
    for tool in (t for t in tools if t.name in ANALYSIS_TOOLS):
        assert tool.annotations.read_only_hint is True and tool.annotations.idempotent_hint is True
        assert tool.annotations.destructive_hint is False
        assert tool.output_schema["type"] == "object" and tool.input_schema["type"] == "object"
        assert tool.title and tool.description.splitlines()[0].endswith(".")
        assert all(spec.get("description") for spec in tool.input_schema["properties"].values())


async def test_draft_postmortem_by_path_equals_the_cli_draft(capsys):
    assert cli_main(["draft", str(EXAMPLE), "--format", "json"]) == 0
    from_cli = json.loads(capsys.readouterr().out)
    result = await call("draft_postmortem", {"paths": [str(EXAMPLE)]})
    assert result.is_error is False
    assert result.structured_content == from_cli


async def test_draft_postmortem_gives_markdown_text_for_people_and_json_on_request():
    service = PostmortemService()
    postmortem = service.draft(service.load_text(EXAMPLE.read_text()))
    inline = EXAMPLE.read_text()
    markdown = await call("draft_postmortem", {"incident": inline})
    as_json = await call("draft_postmortem", {"incident": inline, "output_format": "json"})
    assert markdown.structured_content == json_of(postmortem)
    assert [block.text for block in markdown.content] == [service.render(postmortem, "markdown")]
    assert [block.text for block in as_json.content] == [service.render(postmortem, "json")]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_draft_postmortem_reports_progress_at_each_stage(mode):
    reports = []

    async def on_progress(progress, total, message):
        reports.append((progress, total, message.split(" ")[0]))

    async with Client(create_server(), mode=mode) as client:
        await client.call_tool("draft_postmortem", {"paths": [str(EXAMPLE)]}, progress_callback=on_progress)
    assert reports == [(1, 5, "ingest:"), (2, 5, "timeline:"), (3, 5, "score:"), (4, 5, "analysis:"), (5, 5, "render:")]


async def test_five_whys_takes_the_problem_from_the_incident_title_and_cites_its_events():
    service = PostmortemService()
    incident = service.load([EXAMPLE])
    chain = service.five_whys(incident.title, incident)
    result = await call("five_whys", {"paths": [str(EXAMPLE)]})
    assert result.structured_content == json_of(chain)
    assert result.content[0].text == render_analysis.why_chain_text(chain)


async def test_five_whys_works_from_a_problem_and_facts_alone():
    facts = ["the connection pool was lowered from 80 to 20", "no load test covers pool changes"]
    chain = PostmortemService().five_whys("checkout returned 502s", None, facts)
    result = await call("five_whys", {"problem": "checkout returned 502s", "facts": facts})
    assert result.structured_content == json_of(chain)


async def test_five_whys_places_a_fact_sent_with_the_incident_where_it_answers_a_why_and_not_as_a_hypothesis():
    incident = {
        "title": "Search returns empty results",
        "services": ["search-api"],
        "events": [
            {"at": "2025-05-14T10:00:00Z", "source": "deploy", "text": "search-index mapping v12 rolled out"},
            {
                "at": "2025-05-14T10:05:00Z",
                "source": "alert",
                "text": "FIRING SearchEmptyResults: 90% of queries return nothing",
            },
            {"at": "2025-05-14T10:30:00Z", "source": "metric", "text": "Queries return results again; recovered"},
        ],
    }
    mechanism = "Mapping v12 renamed the title field, so every query on title matched nothing"

    result = await call("five_whys", {"incident": json.dumps(incident), "facts": [mechanism]})

    steps = result.structured_content["branches"][0]["steps"]
    assert [(s["facts"], s["because"] == mechanism, s["hypothesis"]) for s in steps] == [
        ([mechanism], True, False),
        ([], False, False),
        ([], False, True),
    ]


async def test_review_why_chain_flags_a_chain_that_stops_at_a_person():
    steps = ["checkout returned 502s", "the database pool was exhausted", "an engineer made a mistake"]
    review = PostmortemService().review_chain(steps)
    result = await call("review_why_chain", {"steps": steps})
    assert result.structured_content == json_of(review)
    assert result.content[0].text == render_analysis.chain_review_text(review)


async def test_rewrite_blameless_returns_findings_and_the_rewritten_text():
    report = PostmortemService().rewrite_blameless(BLAMEFUL)
    result = await call("rewrite_blameless", {"text": BLAMEFUL})
    assert result.structured_content == json_of(report)
    assert result.content[0].text == render_analysis.blameless_text(report)


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # 2026-07-28 input-required rounds, 2025-11-25 push
async def test_a_client_that_can_sample_writes_the_rewrite_with_its_own_model_in_both_protocol_eras(mode):
    clean = "The migration was not part of the deploy steps, and the dashboard gave no warning before the deploy."
    asked = []

    async def client_model(context, params):
        asked.append(params.messages[0].content.text)
        reply = TextContent(type="text", text=json.dumps({"rewritten": clean}))
        return CreateMessageResult(role="assistant", model="client-model", content=reply)

    async with Client(create_server(), mode=mode, sampling_callback=client_model) as client:
        by_client = await client.call_tool("rewrite_blameless", {"text": BLAMEFUL})
    async with Client(create_server(), mode=mode) as client:  # a client without sampling: offline
        offline = await client.call_tool("rewrite_blameless", {"text": BLAMEFUL})
    assert len(asked) == 1 and BLAMEFUL in asked[0]
    assert by_client.structured_content == {
        **json_of(PostmortemService().rewrite_blameless(BLAMEFUL)),
        "rewritten": clean,
        "generated_by": "sampling client-model",
    }
    assert offline.structured_content == json_of(PostmortemService().rewrite_blameless(BLAMEFUL))


async def test_a_client_model_asked_to_write_the_draft_is_sent_the_tagged_events_and_the_open_questions():
    import re

    from pm_agent.analysis.evidence import read_incident

    asked = []

    async def client_model(context, params):
        asked.append(params.messages[0].content.text)
        return CreateMessageResult(role="assistant", model="client-model", content=TextContent(type="text", text="{}"))

    async with Client(create_server(), mode="auto", sampling_callback=client_model) as client:
        await client.call_tool("draft_postmortem", {"paths": [str(EXAMPLE)]})

    service = PostmortemService()
    incident = service.load([EXAMPLE])
    blocks = dict(re.findall(r'<data name="(\w+)">\n(.*?)\n</data>', asked[0], re.DOTALL))
    sent = json.loads(blocks["incident"])
    assert [(e["text"], e["tags"]) for e in sent["events"]] == [
        (t.text, sorted(t.tags)) for t in read_incident(incident).events
    ]
    assert json.loads(blocks["offline_draft"])["open_questions"] == [
        q.question for q in service.draft(incident, use_memory=False).open_questions
    ]


async def test_propose_actions_returns_the_drafts_actions_with_owners_from_the_roster():
    service = PostmortemService()
    roster = {"payments": "Dana Ortiz"}
    incident = service.load([EXAMPLE])
    actions = service.propose_actions(incident, roster)
    result = await call("propose_actions", {"paths": [str(EXAMPLE)], "roster": roster})
    assert result.structured_content == {"incident_id": incident.id, "actions": json_of(actions)}
    assert result.content[0].text == render_analysis.actions_text(actions)


async def test_check_actions_accepts_objects_and_strings_and_says_whether_all_are_smart():
    actions = [
        {
            "title": "Add a load test for connection-pool changes",
            "owner": "Dana Ortiz",
            "due": "2026-04-01",
            "done_when": "CI fails a pool_size change that drops throughput by 10%",
        },
        "Be more careful with config",
    ]
    lints = PostmortemService().check_actions([ActionItem.model_validate(actions[0]), ActionItem(title=actions[1])])
    result = await call("check_actions", {"actions": actions})
    assert result.structured_content == {"all_smart": all(lint.smart for lint in lints), "checks": json_of(lints)}
    assert result.content[0].text == render_analysis.action_lints_text(lints)


async def test_score_postmortem_scores_any_markdown_against_the_rubric():
    service = PostmortemService()
    markdown = service.render(service.draft(service.load([EXAMPLE])))
    rubric_result = service.score(markdown)
    result = await call("score_postmortem", {"markdown": markdown})
    assert result.structured_content == json_of(rubric_result)
    assert result.content[0].text == render_analysis.rubric_text(rubric_result)


async def test_fishbone_groups_causes_and_renders_mermaid_with_an_optional_fault_tree():
    from pm_agent.render.analysis import fishbone_text as to_markdown

    service = PostmortemService()
    diagram = service.fishbone(service.load([EXAMPLE]), fault_tree=True)
    result = await call("fishbone", {"paths": [str(EXAMPLE)], "fault_tree": True})
    assert result.structured_content == json_of(diagram)
    assert result.content[0].text == to_markdown(diagram)


async def test_unreadable_incident_data_is_a_tool_error_saying_what_to_send_instead():
    result = await call("draft_postmortem", {"incident": "the database fell over at some point"})
    assert result.is_error is True
    assert result.content[0].text == (
        f"Error executing tool draft_postmortem: <input>: {UNKNOWN_FORMAT}. {INCIDENT_HINT}"
    )


async def test_incident_given_both_inline_and_as_paths_is_a_tool_error():
    result = await call("propose_actions", {"incident": EXAMPLE.read_text(), "paths": [str(EXAMPLE)]})
    assert result.is_error is True
    assert result.content[0].text.startswith(
        "Error executing tool propose_actions: give the incident either as data (JSON or a text timeline) or as file"
    )


async def test_a_missing_file_is_a_tool_error_naming_it():
    missing = str(REPO / "no-such-incident.json")
    result = await call("draft_postmortem", {"paths": [missing]})
    assert result.is_error is True
    assert result.content[0].text == f"Error executing tool draft_postmortem: {missing}: no such file. {INCIDENT_HINT}"


async def test_invalid_arguments_get_the_schemas_message_and_the_tool_never_runs():
    wrong_format = await call("draft_postmortem", {"incident": "x", "output_format": "pdf"})
    no_actions = await call("check_actions", {"actions": []})
    assert wrong_format.is_error is True and no_actions.is_error is True
    assert wrong_format.content[0].text == (
        "Error executing tool draft_postmortem: argument 'output_format': expected 'markdown' or 'json', "
        "got a string 'pdf'; send one of 'markdown', 'json'."
    )
    assert no_actions.content[0].text == (
        "Error executing tool check_actions: argument 'actions': list should have at least 1 item after validation, "
        "not 0, got a list []; send a list (at least 1) of objects or strings."
    )


async def test_a_server_reachable_over_the_network_refuses_file_paths():
    result = await call("draft_postmortem", {"paths": [str(EXAMPLE)]}, allow_paths=False)
    assert result.is_error is True
    assert result.content[0].text == (
        "Error executing tool draft_postmortem: this server is reachable over the network, "
        "so it does not read files by path; send the file's content in the 'incident' argument instead"
    )


async def test_resources_give_the_postmortem_template_and_the_rubric():
    async with Client(create_server()) as client:
        listed = {str(r.uri): r.mime_type for r in (await client.list_resources()).resources}
        template = await client.read_resource("pm-agent://template/postmortem")
        rubric = await client.read_resource("pm-agent://rubric")
    assert listed["pm-agent://template/postmortem"] == "text/markdown"
    assert listed["pm-agent://rubric"] == "application/json"
    assert template.contents[0].text == (REPO / "prompts" / "postmortem_template.md").read_text()
    assert json.loads(rubric.contents[0].text) == json.loads((REPO / "prompts" / "rubric.json").read_text())


async def test_the_guided_postmortem_prompt_walks_through_the_tools_in_review_order():
    async with Client(create_server()) as client:
        prompt = await client.get_prompt("guided_postmortem", {"incident": "files in ./inc-2031/"})
    text = prompt.messages[0].content.text
    assert text == guided_postmortem(incident="files in ./inc-2031/")
    order = [
        "draft_postmortem",
        "find_related_incidents",
        "five_whys",
        "review_why_chain",
        "propose_actions",
        "check_actions",
        "rewrite_blameless",
        "score_postmortem",
        "remember_incident",
    ]
    positions = [text.index(name) for name in order]
    assert positions == sorted(positions)


async def test_the_five_whys_session_prompt_needs_a_problem_and_keeps_reviewing_the_chain():
    async with Client(create_server()) as client:
        listed = {p.name: p for p in (await client.list_prompts()).prompts}
        prompt = await client.get_prompt("five_whys_session", {"problem": "checkout returned 502s"})
    assert [(a.name, a.required) for a in listed["five_whys_session"].arguments] == [
        ("problem", True),
        ("incident", False),
    ]
    assert prompt.messages[0].content.text == five_whys_session(problem="checkout returned 502s")
    assert "review_why_chain" in prompt.messages[0].content.text


# --- the incident memory -------------------------------------------------------------------

BILLING = REPO / "tests" / "fixtures" / "inputs" / "text" / "overnight-billing-export.txt"
MEMORY_TOOLS = {
    "find_related_incidents",
    "remember_incident",
    "recurring_patterns",
    "list_action_items",
    "mark_action_done",
}


async def test_memory_tools_are_listed_and_only_remembering_and_marking_done_write_remembering_replacing():
    async with Client(create_server()) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools if tool.name in MEMORY_TOOLS}
    assert {name: tool.annotations.read_only_hint for name, tool in tools.items()} == {
        "find_related_incidents": True,
        "remember_incident": False,
        "recurring_patterns": True,
        "list_action_items": True,
        "mark_action_done": False,
    }
    assert {name: tool.annotations.destructive_hint for name, tool in tools.items()} == {
        "find_related_incidents": False,
        "remember_incident": True,
        "recurring_patterns": False,
        "list_action_items": False,
        "mark_action_done": False,
    }
    assert {name: tool.annotations.open_world_hint for name, tool in tools.items()} == {
        "find_related_incidents": False,
        "remember_incident": True,  # it drafts from incident data with the model backend, when one is set up
        "recurring_patterns": False,
        "list_action_items": False,
        "mark_action_done": False,
    }
    assert all(t.annotations.idempotent_hint for t in tools.values())


async def test_a_remembered_postmortem_is_found_again_readable_by_id_and_its_actions_tracked(monkeypatch):
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    service = PostmortemService()
    payments = service.draft(service.load([EXAMPLE]), score=False)
    async with Client(create_server()) as client:
        stored = await client.call_tool("remember_incident", {"postmortem": json_of(payments)})
        billing = await client.call_tool("remember_incident", {"paths": [str(BILLING)], "date": "2024-03-05"})
        again = await client.call_tool("remember_incident", {"postmortem": json_of(payments)})
        related = await client.call_tool("find_related_incidents", {"query": "connection pool exhausted", "limit": 1})
        patterns = await client.call_tool("recurring_patterns", {"since": "2020-01-01"})
        incident = await client.read_resource(f"incident://{payments.incident_id}")
        postmortem = await client.read_resource(f"postmortem://{payments.incident_id}")
        open_actions = await client.call_tool("list_action_items", {})
        first = next(a["id"] for a in stored.structured_content["action_items"] if a["status"] != "done")
        done = await client.call_tool("mark_action_done", {"action_id": first})
        still_open = await client.call_tool("list_action_items", {})
    record = stored.structured_content
    assert (record["kind"], record["source_id"]) == ("postmortem", payments.incident_id)
    assert record["title"] == payments.title
    assert [a["title"] for a in record["action_items"]] == [a.title for a in payments.action_items]
    assert again.structured_content == record
    assert billing.is_error is False and billing.structured_content["date"] == "2024-03-05"
    assert [(hit["source_id"], hit["kind"]) for hit in related.structured_content["hits"]] == [
        (payments.incident_id, "postmortem")
    ]
    assert json.loads(incident.contents[0].text) == record
    assert patterns.structured_content["incidents"] == 2 and patterns.structured_content["since"] == "2020-01-01"
    assert patterns.content[0].text.startswith("#")
    assert postmortem.contents[0].text.startswith(f"# Postmortem: {payments.title}")
    tracked = select(tracked_actions([MemoryRecord.model_validate(record)], dt.date.today()))
    assert [a for a in open_actions.structured_content["actions"] if a["record_id"] == record["id"]] == json_of(tracked)
    assert (done.structured_content["id"], done.structured_content["status"]) == (first, "done")
    assert first not in {a["id"] for a in still_open.structured_content["actions"]}


async def test_finding_related_incidents_needs_something_to_look_for():
    result = await call("find_related_incidents", {})
    assert result.is_error is True
    assert result.content[0].text == (
        "Error executing tool find_related_incidents: "
        "Say what to look for: a query, a stored incident_id, or the incident data (or its paths)."
    )


async def test_unknown_ids_are_tool_errors_pointing_at_where_ids_come_from(monkeypatch):
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    result = await call("mark_action_done", {"action_id": "pm-0000000000000000.a1"})
    assert result.is_error is True
    assert result.content[0].text == (
        "Error executing tool mark_action_done: no action item 'pm-0000000000000000.a1': the memory holds no record "
        "'pm-0000000000000000'. Find stored ids with find_related_incidents, and action ids with list_action_items."
    )


async def test_an_unknown_stored_incident_is_a_resource_not_found_error(monkeypatch):
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    async with Client(create_server()) as client:
        with pytest.raises(MCPError) as refused:
            await client.read_resource("postmortem://INC-404")
    assert refused.value.error.code == -32602
