"""The eval harness: exit codes, gates, the comparison with the previous report, and the suites on real cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pm_agent.analysis.rubric.scorer import load_rubric
from pm_agent.backends import FakeBackend
from pm_agent.evals import EXIT_HARNESS, EXIT_PASSED, EXIT_QUALITY, run_eval
from pm_agent.evals.__main__ import main
from pm_agent.evals.cases import default_cases_dir, load_cases
from pm_agent.evals.checks import CHECKS
from pm_agent.evals.context import RunContext
from pm_agent.evals.gates import TOLERANCE, Gate, load_previous
from pm_agent.evals.results import CaseResult, SuiteResult
from pm_agent.evals.runner import evaluate
from pm_agent.evals.suites import SUITES, SuiteSpec
from pm_agent.ingest import ReadOptions
from pm_agent.ingest.loader import read_path
from pm_agent.service import PostmortemService

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "evals" / "cases"
COMMITTED_REPORT = REPO / "evals" / "report.json"
ONE_CASE = CASES / "certificate-expiry-gateway"


def tiny_suite(score: float, *, minimum: float = 0.9, name: str = "tiny") -> SuiteSpec:
    """A synthetic suite with one tracked figure and one gate on it."""

    def run(ctx: RunContext) -> SuiteResult:
        return SuiteResult(
            name=name,
            title="Tiny",
            metrics={"score": score},
            tracked=("score",),
            cases=[CaseResult("only", scores={"score": score}, headline=score, passed=score >= minimum)],
        )

    return SuiteSpec(name, "Tiny", run, (Gate("score", minimum, f"score >= {minimum}"),))


def broken_suite(ctx: RunContext) -> SuiteResult:
    raise RuntimeError("the engine blew up")


def previous_of(spec: SuiteSpec) -> dict:
    """The saved JSON report of one run of ``spec``, as the next run reads it."""
    return json.loads(evaluate([spec], RunContext()).json_text)


def case_folder(tmp_path: Path, spec: dict, files: dict[str, str] | None = None) -> Path:
    folder = tmp_path / "cases" / spec.get("id", "case")
    folder.mkdir(parents=True)
    (folder / "case.json").write_text(json.dumps(spec))
    for name, text in (files or {}).items():
        (folder / name).write_text(text)
    return folder.parent


# --- exit codes ------------------------------------------------------------------------------


def test_a_run_whose_gates_hold_exits_0():
    outcome = evaluate([tiny_suite(0.95)], RunContext())
    assert (outcome.exit_code, outcome.verdict) == (EXIT_PASSED, "the gates hold (tiny)")
    assert [(g.metric, g.value, g.held) for g in outcome.gates] == [("score", 0.95, True)]


def test_a_failed_gate_exits_1_and_the_verdict_names_it():
    outcome = evaluate([tiny_suite(0.8)], RunContext())
    assert (outcome.exit_code, outcome.verdict) == (EXIT_QUALITY, "quality falls short: tiny score 0.800 < 0.9")


def test_a_suite_that_raises_exits_2_even_when_other_gates_fail():
    outcome = evaluate([tiny_suite(0.1), SuiteSpec("broken", "Broken", broken_suite)], RunContext())
    assert outcome.exit_code == EXIT_HARNESS
    assert outcome.harness_errors == ["broken: RuntimeError: the engine blew up"]
    assert outcome.suite("broken").status == "error"
    assert "**Harness error:** RuntimeError: the engine blew up" in outcome.markdown


def test_an_unknown_suite_or_backend_exits_2_without_running_anything():
    by_suite = run_eval(["drafting", "nonsense"])
    by_backend = run_eval(["whys"], backend="gpt")
    assert (by_suite.exit_code, by_suite.suites) == (EXIT_HARNESS, [])
    assert by_suite.harness_errors == [
        "unknown suite(s) nonsense; known: drafting, real-incidents, whys, blameless, actions, retrieval, rubric"
    ]
    assert by_backend.harness_errors == ["unknown backend 'gpt'; choose one of offline, anthropic, replay"]


def test_a_case_whose_input_file_is_missing_is_a_harness_error(tmp_path):
    cases = case_folder(tmp_path, {"id": "lost", "inputs": ["incident.json"]})
    outcome = run_eval(["drafting"], cases_dir=cases)
    assert outcome.exit_code == EXIT_HARNESS
    assert outcome.harness_errors == [f"drafting: {cases / 'lost' / 'case.json'}: input files not found: incident.json"]


def test_a_case_with_malformed_json_or_an_unknown_key_is_a_harness_error(tmp_path):
    malformed = tmp_path / "malformed" / "one"
    malformed.mkdir(parents=True)
    (malformed / "case.json").write_text('{"id": "one",')
    unknown = case_folder(tmp_path, {"id": "two", "inputs": ["a.json"], "must_include": []}, {"a.json": "{}"})
    assert "malformed JSON at line 1" in run_eval(["drafting"], cases_dir=malformed.parent).harness_errors[0]
    assert "unknown keys ['must_include']" in run_eval(["drafting"], cases_dir=unknown).harness_errors[0]


def test_a_must_not_invent_figure_that_the_input_holds_is_a_case_error(tmp_path):
    spec = json.loads((ONE_CASE / "case.json").read_text())
    spec["must_not_invent"] = ["38 minutes of errors"]  # 00:38 is an input time
    cases = case_folder(tmp_path, spec, {"incident.json": (ONE_CASE / "incident.json").read_text()})
    outcome = run_eval(["drafting"], cases_dir=cases)
    assert outcome.exit_code == EXIT_HARNESS
    assert "must_not_invent item '38 minutes of errors' is supported by the input (38)" in outcome.harness_errors[0]


# --- comparison with the previous report --------------------------------------------------------


def test_a_tracked_figure_that_drops_beyond_the_tolerance_is_a_regression_and_exits_1():
    outcome = evaluate([tiny_suite(0.92)], RunContext(), previous_of(tiny_suite(0.99)))
    assert outcome.exit_code == EXIT_QUALITY
    assert outcome.verdict == "quality falls short: tiny score fell 0.990 -> 0.920"
    assert [(c.metric, c.before, c.now, c.regression) for c in outcome.changes] == [
        ("score", 0.99, 0.92, True),
        ("case only", 0.99, 0.92, False),
    ]


def test_a_drop_within_the_tolerance_and_a_rise_are_reported_but_pass():
    small_drop = evaluate([tiny_suite(0.97)], RunContext(), previous_of(tiny_suite(0.97 + TOLERANCE / 2)))
    rise = evaluate([tiny_suite(0.99)], RunContext(), previous_of(tiny_suite(0.91)), previous_label="old.json")
    assert (small_drop.exit_code, rise.exit_code) == (EXIT_PASSED, EXIT_PASSED)
    assert [c.regression for c in small_drop.changes] == [False, False]
    assert "| tiny | score | 0.91 | 0.99 | ▲ +0.080 |" in rise.markdown
    assert "2 up, 0 down, 0 regressions" in rise.markdown


def test_the_report_says_what_went_down_and_flags_the_regression():
    outcome = evaluate([tiny_suite(0.92)], RunContext(), previous_of(tiny_suite(0.99)), previous_label="old.json")
    assert "0 up, 2 down, 1 regressions (a tracked figure down by more than 0.05)" in outcome.markdown
    assert "| tiny | score | 0.99 | 0.92 | ▼ -0.070 **regression** |" in outcome.markdown
    assert "| tiny | case only | 0.99 | 0.92 | ▼ -0.070 |" in outcome.markdown


def test_saving_writes_both_reports_and_the_next_run_compares_with_the_saved_json(tmp_path):
    report = tmp_path / "out" / "REPORT.md"
    first = run_eval(["whys"], report_path=report)
    second = run_eval(["whys"], report_path=report)
    assert (first.previous, second.previous) == (None, str(tmp_path / "out" / "report.json"))
    assert report.read_text() == second.markdown
    assert load_previous(tmp_path / "out" / "report.json")["suites"]["whys"]["metrics"] == second.suite("whys").metrics
    assert "_No figure moved._" in second.markdown
    assert second.changes == []


# --- the suites ----------------------------------------------------------------------------------


def test_the_drafting_suite_scores_a_case_exactly_as_pm_agent_score_scores_its_draft():
    outcome = run_eval(["drafting"], cases_dir=ONE_CASE)
    suite = outcome.suite("drafting")
    [row] = suite.cases
    service = PostmortemService()
    incident = service.load([str(ONE_CASE / "incident.json")])
    expected = service.score(service.render(service.draft(incident, score=False)))
    assert [c.id for c in suite.columns] == [c.id for c in load_rubric().criteria] + [c.id for c in CHECKS]
    assert row.headline == expected.weighted_average
    assert {k: row.scores[k] for k in (c.id for c in expected.criteria)} == {c.id: c.score for c in expected.criteria}
    assert {k: row.scores[k] for k in ("times_present", "facts_present", "durations_right")} == {
        "times_present": 1.0,
        "facts_present": 1.0,
        "durations_right": 1.0,
    }
    assert suite.metrics["weighted_average"] == expected.weighted_average


def test_a_draft_that_states_a_listed_invention_fails_the_no_invention_check(tmp_path):
    spec = json.loads((ONE_CASE / "case.json").read_text())
    spec["must_not_invent"] = ["monitoring caught the failure first"]  # what the offline draft writes
    cases = case_folder(tmp_path, spec, {"incident.json": (ONE_CASE / "incident.json").read_text()})
    row = run_eval(["drafting"], cases_dir=cases).suite("drafting").cases[0]
    assert row.scores["no_invented_figures"] == 0.0
    assert "No invention: invented: monitoring caught the failure first" in row.reasons


def test_numbers_that_only_appear_in_source_citations_are_not_inventions(tmp_path):
    """The impact table cites ``.../build 4821/dns/timeline.md:line 12``: neither number is a claim."""
    source = CASES / "dns-cname-removed"
    folder = tmp_path / "build 4821" / "dns"
    folder.mkdir(parents=True)
    for name in ("case.json", "timeline.md"):
        (folder / name).write_text((source / name).read_text())
    row = run_eval(["drafting"], cases_dir=folder).suite("drafting").cases[0]
    assert row.scores["no_invented_figures"] == 1.0


def test_a_case_that_expects_other_durations_fails_the_durations_check_with_both_figures(tmp_path):
    spec = json.loads((ONE_CASE / "case.json").read_text())
    spec["expected"] = {"duration_minutes": 60, "time_to_detect_minutes": 7}
    cases = case_folder(tmp_path, spec, {"incident.json": (ONE_CASE / "incident.json").read_text()})
    row = run_eval(["drafting"], cases_dir=cases).suite("drafting").cases[0]
    assert "Durations: duration 75 min, expected 60 min" in row.reasons


def test_a_folder_of_input_files_without_case_json_is_a_case_with_the_generic_checks(tmp_path):
    folder = tmp_path / "my-incident"
    folder.mkdir()
    (folder / "incident.json").write_text((ONE_CASE / "incident.json").read_text())
    row = run_eval(["drafting"], cases_dir=folder).suite("drafting").cases[0]
    assert row.case_id == "my-incident"
    assert (row.scores["facts_present"], row.scores["durations_right"], row.scores["times_present"]) == (
        None,
        None,
        1.0,
    )


def test_the_judge_is_reported_beside_the_rubric_score_and_never_replaces_it():
    """A scripted model backend rewrites the draft unchanged and judges it 4, 3, 4.5: the median is 4."""
    from pm_agent.assisted.draft import sections_of

    service = PostmortemService()
    offline = service.draft(service.load([str(ONE_CASE / "incident.json")]), score=False)
    criteria = [c.id for c in load_rubric().criteria]
    judged = [{"scores": [{"criterion": c, "reasoning": "quoted", "score": s} for c in criteria]} for s in (4, 3, 4.5)]
    model = FakeBackend(sections_of(offline), *judged)
    outcome = evaluate([SUITES["drafting"]], RunContext(backend="replay", cases_dir=ONE_CASE, model=model))
    [row] = outcome.suite("drafting").cases
    assert row.judge == {**{c: 4.0 for c in criteria}, "weighted": 4.0, "unstable": 0.0}
    assert row.headline == service.score(service.render(offline)).weighted_average
    assert outcome.suite("drafting").metrics["judge.weighted_average"] == 4.0
    assert model.pending == 0


def test_a_model_backend_that_cannot_answer_is_a_harness_error():
    outcome = evaluate([SUITES["drafting"]], RunContext(backend="replay", cases_dir=ONE_CASE, model=FakeBackend()))
    assert outcome.exit_code == EXIT_HARNESS
    assert outcome.harness_errors[0].startswith(
        "drafting: case certificate-expiry-gateway: the replay backend did not write the draft (offline (fallback: fake script empty))"
    )


def test_the_labelled_suites_compute_their_figures_from_the_dataset(tmp_path):
    (tmp_path / "whys.jsonl").write_text(
        json.dumps(
            {
                "id": "good",
                "ok": True,
                "steps": [
                    "Checkout failed",
                    "The pool was exhausted",
                    "No check compares pool changes with peak traffic",
                ],
            }
        )
        + "\n"
        + json.dumps({"id": "bad", "ok": False, "steps": ["Checkout failed", "Bob pushed a bad config"]})
        + "\n"
    )
    (tmp_path / "actions.jsonl").write_text(
        json.dumps(
            {
                "id": "s",
                "smart": False,
                "problems": ["vague", "no_owner", "no_due_date", "no_measure"],
                "action": "Improve monitoring",
            }
        )
        + "\n"
    )
    ctx = RunContext(datasets_dir=tmp_path)
    whys = SUITES["whys"].run(ctx)
    actions = SUITES["actions"].run(ctx)
    assert whys.metrics == {"agreement": 1.0, "flawed_flagged": 1.0, "sound_passed": 1.0, "flag_precision": 1.0}
    assert actions.metrics == {
        "verdict_agreement": 1.0,
        "problem_precision": 1.0,
        "problem_recall": 1.0,
        "exact_match": 1.0,
    }


def test_a_malformed_dataset_line_is_a_harness_error(tmp_path):
    (tmp_path / "whys.jsonl").write_text('{"id": "w1", "ok": true, "steps": ["a", "b", "c"]}\n{"id": \n')
    outcome = evaluate([SUITES["whys"]], RunContext(datasets_dir=tmp_path))
    assert outcome.harness_errors == [f"whys: {tmp_path / 'whys.jsonl'}:2: malformed JSON: Expecting value"]


INCIDENT_ROWS = [
    ("a", "Database failover stalled", "primary database down, replica promotion failed", "database"),
    ("b", "Replica lag broke database failover", "database replica lag blocked promotion", "database"),
    ("c", "Certificate expired on the API", "TLS certificate expired, clients failed handshakes", "security"),
    ("d", "Expired TLS certificate on gateway", "certificate renewal failed, TLS errors", "security"),
]


def test_the_retrieval_suite_reports_the_memorys_leave_one_out_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("PM_AGENT_EMBEDDER", "lexical")
    (tmp_path / "incidents.jsonl").write_text(
        "".join(
            json.dumps(
                {"id": i, "title": t, "summary": s, "category_primary": c, "category_primary_basis": "source label"}
            )
            + "\n"
            for i, t, s, c in INCIDENT_ROWS
        )
    )
    suite = SUITES["retrieval"].run(RunContext(shared_data=tmp_path))
    assert suite.metrics == {
        "precision_at_5": 0.2,
        "hit_at_5": 1.0,
        "mrr": 1.0,
    }  # 3 others ranked: 1 of 5 slots relevant
    assert suite.tracked == ()


def test_the_suites_on_shared_data_are_skipped_where_it_is_absent(tmp_path):
    outcome = evaluate([SUITES["real-incidents"], SUITES["retrieval"]], RunContext(shared_data=tmp_path))
    assert [(s.name, s.status) for s in outcome.suites] == [("real-incidents", "skipped"), ("retrieval", "skipped")]
    assert (outcome.exit_code, outcome.gates) == (EXIT_PASSED, [])


def test_the_project_cases_cover_the_kinds_and_input_formats_the_issue_asks_for():
    cases = load_cases(default_cases_dir())
    formats = {read_path(path, ReadOptions()).format for case in cases for path in case.inputs}
    assert len(cases) >= 10
    assert {
        "outage",
        "security",
        "data loss",
        "slow degradation",
        "near miss",
        "config push",
        "capacity",
        "dependency",
        "certificate expiry",
        "dns",
    } <= {case.kind for case in cases}
    assert formats == {"native", "text", "slack", "pagerduty", "alertmanager"}


def test_the_command_line_prints_the_json_report_saves_both_and_returns_the_exit_code(tmp_path, capsys):
    status = main(["whys", "--json", "--report", str(tmp_path / "REPORT.md")])
    printed = capsys.readouterr().out
    assert status == json.loads(printed)["exit_code"] == EXIT_PASSED
    assert list(json.loads(printed)["suites"]) == ["whys"]
    assert (tmp_path / "report.json").read_text() == printed
    assert (tmp_path / "REPORT.md").read_text().startswith("# pm-agent eval report\n")


def test_an_explicit_previous_report_that_does_not_exist_is_a_harness_error(tmp_path):
    outcome = run_eval(["whys"], previous=tmp_path / "gone.json")
    assert outcome.harness_errors == [f"{tmp_path / 'gone.json'}: no such previous report to compare with"]


def test_an_offline_run_stays_offline_where_an_api_key_is_set(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    outcome = run_eval(["drafting"], cases_dir=ONE_CASE)
    assert outcome.harness_errors == []
    assert outcome.backend == "offline"


# --- CI: the offline suites do not regress against the committed report -----------------------------


@pytest.mark.skipif(not COMMITTED_REPORT.is_file(), reason="evals/report.json is not committed yet")
def test_the_offline_suites_do_not_regress_against_the_committed_report():
    """Fails when a drafting, blameless, whys or actions figure drops by more than the tolerance."""
    suites = ["drafting", "whys", "blameless", "actions", "real-incidents"]
    outcome = run_eval(suites, previous=COMMITTED_REPORT)
    assert outcome.harness_errors == []
    assert [f"{c.suite} {c.metric}: {c.before} -> {c.now}" for c in outcome.regressions] == []
