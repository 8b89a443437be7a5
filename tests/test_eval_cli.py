"""``pm-agent eval``: the suites through the CLI, with the harness's exit statuses."""

from __future__ import annotations

from pm_agent.cli import main


def test_the_labelled_suites_pass_their_gates_through_the_cli(capsys):
    assert main(["eval", "whys", "blameless", "actions"]) == 0
    out = capsys.readouterr().out
    assert "blameless" in out and "precision" in out


def test_an_unknown_suite_is_a_harness_failure(capsys):
    assert main(["eval", "nonsense"]) == 2
    assert "unknown suite(s) nonsense" in capsys.readouterr().out


def test_incidents_go_with_the_retrieval_suite_only(tmp_path, capsys):
    rows = tmp_path / "rows.jsonl"
    rows.write_text("")
    assert main(["eval", "drafting", "--incidents", str(rows)]) == 2
    assert capsys.readouterr().err == (
        "pm-agent: error: --incidents goes with the retrieval suite only: pm-agent eval retrieval --incidents FILE\n"
    )
