"""The README's two commands stay the ones CI runs, and the main job really drafts the example."""

from __future__ import annotations

import re

from conftest import EXAMPLE, REPO

from pm_agent.cli import main


def readme_command(marker: str) -> str:
    text = (REPO / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\s*```bash\n(.+?)\n```", text, re.S)
    assert match, f"README has no {marker} block"
    return match.group(1).strip()


def test_ci_runs_the_readme_test_command_verbatim():
    assert readme_command("test-command") in (REPO / ".ci" / "run").read_text().splitlines()


def test_ci_runs_the_readme_main_command():
    main_command = readme_command("main-command")
    assert any(line.startswith(main_command) for line in (REPO / ".ci" / "run").read_text().splitlines())


def test_the_main_command_drafts_the_bundled_example(capsys):
    command = readme_command("main-command")
    draft_args = command.split(".venv/bin/pm-agent ", 1)[1].split()
    assert main(draft_args) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# Postmortem: Payments API returned 502s after a connection-pool change\n")
    assert EXAMPLE.name in draft_args[-1]
