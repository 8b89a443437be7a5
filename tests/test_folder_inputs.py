"""A folder given as input stands for the same files to ``pm-agent draft``, the MCP tools and the eval cases."""

from __future__ import annotations

import json

import pytest
from conftest import REPO
from mcp import Client
from mcp_support import anyio_backend  # noqa: F401 - a fixture

from pm_agent.cli import main as cli_main
from pm_agent.evals.cases import load_case
from pm_agent.mcp_server.app import create_server
from pm_agent.mcp_server.params import INCIDENT_HINT

CASE = REPO / "evals" / "cases" / "capacity-email-queue"
EMPTY = "holds no incident files (hidden files and sub-folders are skipped); pass a folder with incident files"


async def tool_draft(paths: list[str]):
    async with Client(create_server()) as client:
        return await client.call_tool("draft_postmortem", {"paths": paths})


def cli_draft(paths: list[str], capsys) -> tuple[int, dict | str]:
    code = cli_main(["draft", *paths, "--format", "json", "--no-memory"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else err)


@pytest.mark.anyio
async def test_an_eval_case_folder_gives_the_same_draft_from_the_cli_and_the_mcp_tool(capsys):
    code, from_cli = cli_draft([str(CASE)], capsys)
    result = await tool_draft([str(CASE)])
    assert code == 0 and result.is_error is False
    assert result.structured_content == from_cli


@pytest.mark.anyio
async def test_an_empty_folder_gets_one_message_from_the_cli_and_the_mcp_tool(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PM_AGENT_INPUT_ROOTS", str(tmp_path))
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".hidden").write_text("x")
    folder = str(tmp_path / "empty")
    assert cli_draft([folder], capsys) == (2, f"pm-agent: error: {folder}: {EMPTY}\n")
    result = await tool_draft([folder])
    assert result.content[0].text == f"Error executing tool draft_postmortem: {folder}: {EMPTY}. {INCIDENT_HINT}"


@pytest.mark.anyio
async def test_a_case_json_without_inputs_stands_for_every_other_file_as_the_eval_case_reads_it(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("PM_AGENT_INPUT_ROOTS", str(tmp_path))
    folder = tmp_path / "case"
    folder.mkdir()
    for name in ("pagerduty.json", "slack-inc-7731.json"):
        (folder / name).write_text((CASE / name).read_text())
    (folder / "case.json").write_text(json.dumps({"id": "no-inputs", "title": "Email queue"}))

    assert [p.name for p in load_case(folder).inputs] == ["pagerduty.json", "slack-inc-7731.json"]
    code, from_folder = cli_draft([str(folder)], capsys)
    _, from_files = cli_draft([str(folder / "pagerduty.json"), str(folder / "slack-inc-7731.json")], capsys)
    result = await tool_draft([str(folder)])
    assert code == 0 and from_folder == from_files
    assert result.structured_content == from_folder


@pytest.mark.anyio
async def test_a_case_json_naming_a_file_outside_its_folder_is_refused_by_the_cli_the_tool_and_the_evals(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("PM_AGENT_INPUT_ROOTS", str(tmp_path))
    (tmp_path / "case.json").write_text(json.dumps({"inputs": ["../secret.json"]}))
    message = f"{tmp_path}/case.json: 'inputs' may only name files in its folder, not '../secret.json'"
    assert cli_draft([str(tmp_path)], capsys) == (2, f"pm-agent: error: {message}\n")
    result = await tool_draft([str(tmp_path)])
    assert result.content[0].text == f"Error executing tool draft_postmortem: {message}. {INCIDENT_HINT}"
    from pm_agent.evals.cases import CaseError

    with pytest.raises(CaseError, match=r"may only name files in its folder"):
        load_case(tmp_path)
