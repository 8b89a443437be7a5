"""The memory inside the core: related incidents in drafts, and action tracking from the CLI."""

from __future__ import annotations

import json
import sys

from conftest import EXAMPLE

from pm_agent.cli import main
from pm_agent.service import PostmortemService
from pm_agent.settings import Settings


def remember_example(service: PostmortemService):
    postmortem = service.draft(service.load([EXAMPLE]))
    service.with_memory(lambda memory: memory.remember(postmortem))
    return postmortem


def a_similar_incident(tmp_path):
    path = tmp_path / "similar.json"
    path.write_text(
        json.dumps(
            {
                "title": "Checkout 502s after pgbouncer pool_size was lowered",
                "services": ["payments-api", "pgbouncer"],
                "started_at": "2026-06-02T09:00:00Z",
                "events": [
                    {
                        "at": "2026-06-02T08:58:00Z",
                        "source": "deploy",
                        "text": "payments-api config v500 rolled out: pool_size 30",
                    },
                    {
                        "at": "2026-06-02T09:04:00Z",
                        "source": "alert",
                        "text": "FIRING PaymentsHighErrorRate 5xx rate 9%",
                    },
                ],
            }
        )
    )
    return path


def test_a_draft_without_a_memory_never_opens_the_vector_store():
    service = PostmortemService()
    service.draft(service.load([EXAMPLE]))
    assert service._memory is None
    assert "chromadb" not in sys.modules or service.memory_in_use() is False


def test_a_draft_lists_a_remembered_incident_that_resembles_it(tmp_path):
    service = PostmortemService()
    remembered = remember_example(service)
    draft = service.draft(service.load([a_similar_incident(tmp_path)]))
    top = draft.related_incidents[0]
    assert (top.id.startswith("pm-"), top.incident_id, top.title) == (True, "INC-2031", remembered.title)
    assert top.why
    markdown = service.render(draft)
    assert "## Related incidents" in markdown
    assert f"`INC-2031`: {remembered.title}" in markdown  # the team's id, not the memory's pm-… record id
    assert top.id not in markdown


def test_no_memory_leaves_related_incidents_out(tmp_path, capsys):
    remember_example(PostmortemService())
    assert main(["draft", str(a_similar_incident(tmp_path)), "--no-memory", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["related_incidents"] == []


def test_actions_of_remembered_postmortems_can_be_listed_and_marked_done(capsys):
    remembered = remember_example(PostmortemService())
    assert main(["actions", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [a["title"] for a in listed] == [a.title for a in remembered.action_items if a.status != "done"]
    assert {a["status"] for a in listed} == {"open"}
    first = listed[0]["id"]
    assert main(["actions", "done", first]) == 0
    assert capsys.readouterr().out.startswith(f"{first} done: ")
    assert main(["actions", "list", "--json"]) == 0
    assert [a["id"] for a in json.loads(capsys.readouterr().out)] == [a["id"] for a in listed[1:]]


def test_marking_an_unknown_action_done_is_a_clear_error(capsys):
    remember_example(PostmortemService())
    assert main(["actions", "done", "nope"]) == 2
    assert capsys.readouterr().err.startswith("pm-agent: error: ")


def test_listing_actions_with_an_empty_memory_says_how_to_fill_it(capsys):
    assert main(["actions", "list"]) == 0
    assert capsys.readouterr().out == (
        f"The memory at {Settings().memory_dir} holds no incidents yet; "
        "`pm-agent memory ingest FILE...` stores past incidents and postmortems.\n"
    )
