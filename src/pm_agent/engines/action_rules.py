"""Action templates and SMART lint patterns: data only.

A template is a specific verb and object with an observable completion criterion; ``{service}``
is filled with the affected service. Templates avoid vague verbs so that every proposed
action passes the project's own linter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ActionTemplate:
    """One corrective or preventive action, before owner and date are filled in."""

    title: str
    done_when: str
    area: str  # owner area: service, platform, incident, observability, security, database
    horizon: str  # immediate, short, long
    hierarchy: str  # eliminate, substitute, engineering, administrative, training
    impact: str  # high, medium, low
    automated_check: bool = False


T = ActionTemplate
TEMPLATES: dict[str, ActionTemplate] = {
    "config_gate": T(
        "Add automated validation and a canary stage for configuration changes to {service}",
        "The pipeline rejects a deliberately invalid configuration in a test run, and a configuration change reaches "
        "all of {service} only after the canary stage passes its health checks.",
        "platform", "short", "engineering", "high", True,
    ),
    "pipeline_gate": T(
        "Add a pre-deploy gate (dry-run plan review and canary health check) to the pipeline for {service}",
        "Every pipeline run for {service} publishes a dry-run plan and stops when the plan or the canary health "
        "check fails; a test change that breaks the canary is stopped in a drill.",
        "platform", "short", "engineering", "high", True,
    ),
    "cluster_traffic_test": T(
        "Add a synthetic traffic and scheduling test that runs after every cluster change to {service} and rolls back on failure",
        "A test change that breaks ingress or scheduling in a staging cluster is detected by the synthetic test and "
        "rolled back automatically, and the test runs in the production pipeline.",
        "platform", "short", "engineering", "high", True,
    ),
    "workload_isolation": T(
        "Enforce resource limits, priority classes and separate node groups for workloads on {service}",
        "An admission policy rejects workloads without resource limits, critical workloads carry a priority class, "
        "and non-production workloads run on their own node group, verified by a rejected test deployment.",
        "platform", "short", "engineering", "high", True,
    ),
    "capacity_alert": T(
        "Add a headroom alert and a documented scaling limit for the exhausted resource of {service}",
        "An alert pages the on-call rotation when the resource's headroom falls below a documented threshold, shown "
        "in a load test or drill, and the capacity plan records the limit, its owner and the scaling step.",
        "service", "short", "engineering", "high", True,
    ),
    "compat_test": T(
        "Add a CI test that runs {service} against the older versions it must stay compatible with",
        "CI blocks a change that breaks a supported older version, shown by a test change that is rejected, and the "
        "supported versions are listed in the repository.",
        "service", "short", "engineering", "high", True,
    ),
    "db_check": T(
        "Add a pre-production check that runs database changes for {service} against production-sized data",
        "Every schema or data migration for {service} runs in CI against a production-sized copy and the pipeline "
        "blocks migrations that exceed the documented lock or run-time budget.",
        "database", "short", "engineering", "high", True,
    ),
    "expiry_automation": T(
        "Automate renewal of certificates and other time-limited items for {service}, with an expiry alert",
        "Renewal runs without manual steps, and an alert fires when any item enters its renewal window without "
        "being renewed, shown in a drill with a short-lived test certificate.",
        "service", "short", "eliminate", "high", True,
    ),
    "network_validation": T(
        "Add pre-change validation and automatic rollback for network and routing changes affecting {service}",
        "A test change that breaks routing is rejected by validation in staging, and a breaking change in "
        "production is rolled back automatically within the pipeline run, shown in a drill.",
        "platform", "short", "engineering", "high", True,
    ),
    "security_control": T(
        "Enforce a preventive policy and a detection rule for the access path involved on {service}",
        "The policy is enforced by tooling (a misuse attempt is blocked in a test) and the detection rule alerts the "
        "security on-call in a drill.",
        "security", "short", "engineering", "high", True,
    ),
    "redundancy": T(
        "Remove the single point of failure in {service} by adding a redundant component with automatic failover",
        "A failover drill that disables the component keeps {service} serving, and the drill is scheduled to repeat.",
        "service", "long", "eliminate", "high", False,
    ),
    "concurrency_test": T(
        "Add a concurrency test for the shared state of {service} and serialise the conflicting operations",
        "A CI test that runs the conflicting operations in parallel passes repeatedly, and it fails when the "
        "serialisation is removed.",
        "service", "short", "engineering", "high", True,
    ),
    "isolation": T(
        "Add circuit breakers, retry back-off and load shedding between {service} and its dependencies",
        "A fault-injection test that fails one dependency leaves the rest of {service} serving, and retries stay "
        "within the documented budget.",
        "service", "long", "engineering", "high", True,
    ),
    "control_plane_staging": T(
        "Roll out control-plane changes for {service} in stages with an automatic health check between stages",
        "A control-plane change reaches one stage first and stops automatically when the health check fails, shown "
        "in a drill with a deliberately failing change.",
        "platform", "long", "engineering", "high", True,
    ),
    "telemetry_absence_alert": T(
        "Add an alert on missing data for every log and metric stream of {service}",
        "Stopping a log or metric stream in a drill raises an alert to the on-call rotation.",
        "observability", "short", "engineering", "high", True,
    ),
    "automate_procedure": T(
        "Automate the manual procedure used on {service} as a pipeline step with a built-in result check",
        "The procedure runs as one pipeline step that checks its own result, and a deliberately wrong input is "
        "rejected in a test run.",
        "platform", "long", "substitute", "medium", True,
    ),
    "generic_gate": T(
        "Add an automated check that reproduces this failure mode before changes reach {service}",
        "A test change that reproduces the failure is rejected by the check in CI, and the check runs on every change.",
        "service", "short", "engineering", "high", True,
    ),
    "symptom_alert": T(
        "Add an alert on the user-facing symptom of this failure for {service}",
        "A synthetic failure in staging makes the alert page the on-call rotation before any user report, and the "
        "alert links to the runbook.",
        "observability", "immediate", "engineering", "high", True,
    ),
    "alert_tuning": T(
        "Shorten the evaluation window and threshold of the alert for this failure on {service}",
        "Replaying the incident's signal in staging makes the alert fire within the documented detection target.",
        "observability", "immediate", "engineering", "high", True,
    ),
    "precursor_alert": T(
        "Add an alert for the warning sign that preceded this incident on {service}",
        "Reproducing the warning sign in a drill raises an alert to the on-call rotation before it affects users.",
        "observability", "short", "engineering", "medium", True,
    ),
    "rollback_runbook": T(
        "Write and rehearse a runbook with a one-step rollback for this failure mode of {service}",
        "The runbook is linked from the alert for this failure, and a rehearsal in staging restores service by "
        "following it.",
        "service", "short", "administrative", "medium", False,
    ),
    "change_scope_check": T(
        "Add a CI check that lists every component a change to {service} will modify and blocks unreviewed ones",
        "A test change that includes an extra, unreviewed component is blocked by the check, and every pipeline run "
        "publishes the list.",
        "platform", "short", "engineering", "high", True,
    ),
    "transient_retry": T(
        "Add automatic retry with back-off for transient provider errors in the recovery pipeline of {service}",
        "A simulated provider timeout in a pipeline test run is retried automatically and the run completes without a "
        "manual re-trigger.",
        "platform", "short", "engineering", "medium", False,
    ),
    "unblock_procedure": T(
        "Script and document how to clear the blocker seen during recovery of {service} (such as a stale state lock)",
        "The script is linked from the runbook, and a rehearsal clears a deliberately stale lock with it.",
        "platform", "immediate", "administrative", "medium", False,
    ),
    "one_step_rollback": T(
        "Add a one-step rollback for changes to {service}",
        "A rehearsal rolls back a test change with one pipeline action, and service health returns to normal.",
        "platform", "short", "engineering", "medium", False,
    ),
    "runbook": T(
        "Write a runbook for the manual recovery steps used on {service} in this incident",
        "The runbook is linked from the related alert, and a responder not involved in this incident completes a "
        "rehearsal using only the runbook.",
        "service", "immediate", "administrative", "medium", False,
    ),
    "diagnostic_dashboard": T(
        "Add a diagnostic dashboard for this failure mode of {service}, linked from its alert",
        "The dashboard shows the failing signal for a failure reproduced in staging, and the alert links to it.",
        "observability", "short", "engineering", "medium", False,
    ),
    "alert_noise": T(
        "Remove or retune the alerts on {service} that fire without needing action",
        "Each remaining alert on {service} has a runbook link and a documented action, and alerts that fired "
        "without action since the incident are removed or retuned.",
        "observability", "short", "engineering", "medium", False,
    ),
    "declaration_criteria": T(
        "Publish incident declaration criteria and add a one-step declare action to the paging tool",
        "The criteria are published in the incident process, and a drill page for {service} is declared as an "
        "incident with the one-step action.",
        "incident", "short", "administrative", "medium", False,
    ),
    "handover_checklist": T(
        "Add a hand-over checklist to the incident process for work passed between teams",
        "The checklist is published in the incident process and is used in the next hand-over, as recorded in the "
        "incident log.",
        "incident", "short", "administrative", "low", False,
    ),
    "regression_test": T(
        "Add a regression test that reproduces this failure of {service} to CI",
        "The test fails on the code or configuration from before the fix and passes after it, and it runs on every change.",
        "service", "short", "engineering", "medium", True,
    ),
    "generic_guard": T(
        "Add a guard or alert for the condition behind this factor on {service}",
        "A drill that reproduces the condition is blocked by the guard or raises an alert to the on-call rotation.",
        "service", "short", "engineering", "medium", True,
    ),
}

BRANCH_TEMPLATE_BY_CATEGORY: dict[tuple[str, str], str] = {
    ("config", ""): "config_gate",
    ("deploy", ""): "pipeline_gate",
    ("kubernetes", "test"): "cluster_traffic_test",
    ("kubernetes", ""): "workload_isolation",
    ("capacity", ""): "capacity_alert",
    ("dependency", ""): "compat_test",
    ("database", ""): "db_check",
    ("time", ""): "expiry_automation",
    ("network", ""): "network_validation",
    ("security", ""): "security_control",
    ("hardware", ""): "redundancy",
    ("concurrency", ""): "concurrency_test",
    ("cascading", ""): "isolation",
    ("control-plane", ""): "control_plane_staging",
    ("observability", ""): "telemetry_absence_alert",
    ("human-process", ""): "automate_procedure",
}
BRANCH_TEMPLATE_BY_KIND: dict[str, str] = {
    "safeguard": "generic_gate", "test": "regression_test", "alert": "symptom_alert", "capacity": "capacity_alert",
    "design": "redundancy", "dependency": "compat_test", "process": "rollback_runbook", "unknown": "generic_gate",
}


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


FACTOR_TEMPLATES: tuple[tuple[re.Pattern[str], str], ...] = (
    (_re(r"alert noise|noisy|flapping|false (positive|alarm)|alert fatigue"), "alert_noise"),
    (_re(r"came from a report|further reports|customer report|user report|reported by|support ticket|no alert"), "symptom_alert"),
    (_re(r"first detected|detected late|slow detection|detection (lag|delay)"), "alert_tuning"),
    (_re(r"warning sign|precursor"), "precursor_alert"),
    (_re(r"unintend\w*|unexpected|accidental\w*|inadvertent\w*"), "change_scope_check"),
    (_re(r"repeated attempt|retr(y|ied|ies)|re-?trigger\w*|re-?run|time ?out"), "transient_retry"),
    (_re(r"held up|state lock|\block(ed)?\b"), "unblock_procedure"),
    (_re(r"no rollback|roll ?back"), "one_step_rollback"),
    (_re(r"manual step|runbook|manual\w*|undocumented|documentation"), "runbook"),
    (_re(r"assumption|missed the cause|misdiagnos\w*|nothing out of the ordinary"), "diagnostic_dashboard"),
    (_re(r"declared|declaration"), "declaration_criteria"),
    (_re(r"hand(ed)?[- ]?over|hand-?off"), "handover_checklist"),
    (_re(r"capacity|memory|cpu|headroom|quota|exhaust\w*|starv\w*"), "capacity_alert"),
    (_re(r"\b(tests?|testing|coverage|staging|qa)\b"), "regression_test"),
    (_re(r"monitor\w*|alert\w*|observab\w*|metrics?|logs?"), "symptom_alert"),
)

HORIZON_DAYS: dict[str, int] = {"immediate": 7, "short": 42, "long": 182}
OWNER_ROLES: dict[str, str] = {
    "platform": "Platform engineering lead",
    "incident": "Incident commander role",
    "observability": "Observability lead",
    "security": "Security lead",
    "database": "Database owner role",
}
OWNER_ALIASES: dict[str, tuple[str, ...]] = {
    "platform": ("platform", "platform engineering", "platform engineering lead", "infrastructure", "infra", "sre"),
    "incident": ("incident", "incident commander", "incident commander role", "ic", "incident management"),
    "observability": ("observability", "observability lead", "monitoring", "alerting"),
    "security": ("security", "security lead", "secops"),
    "database": ("database", "database owner", "database owner role", "dba", "data"),
    "service": ("service", "service owner"),
}
SEVERE_RE = _re(r"\b(sev|p|s)\s*-?\s*[01]\b|\b(critical|major|high|urgent|emergency)\b")
MINOR_RE = _re(r"\b(sev|p|s)\s*-?\s*[3-9]\b|\b(minor|low|trivial|cosmetic)\b")

# --- linting ------------------------------------------------------------------------------

VAGUE_ALWAYS = _re(
    r"\b(be (more )?careful|pay (more )?attention|look into|double[- ]check|try to|be aware|keep an eye|"
    r"as needed|as appropriate|where possible|if possible|going forward|make sure|be more vigilant|do better|"
    r"never happens? again|(?:make|made|making) \w+ (?:safer|better|more (?:robust|reliable|stable|resilient)))\b"
)
VAGUE_UNLESS_MEASURED = _re(
    r"\b(improve|better|more robust|enhance)\w*\s+(the\s+)?(monitoring|alerting|testing|process|communication|"
    r"documentation|observability|reliability|quality)\b|"
    r"^\s*(improve|enhance|investigate|review|consider|revisit|optimi[sz]e|monitor|strengthen|clean ?up|harden|"
    r"look at|explore|evaluate|discuss|think about|work on)\b"
)
BARE_INVESTIGATE = _re(r"^\s*(investigate|look into|check|review)(\s+(it|this|that|the issue|the problem|the incident|issue|problem|why))?\s*\.?\s*$")
OBSERVABLE_RE = _re(
    r"\b(pass(es|ed)?|fails?|blocks?|blocked|rejects?|rejected|fires?|pages?|alerts?|shows?|returns?|exists?|merged|"
    r"deployed|enabled|published|linked|documented|runs?|rehears\w*|drill|tests?|tested|verified|measured|below|"
    r"above|under|within|every|each|at least|no more than|zero|dashboard|ci|listed|records?|completes?)\b|%|\d"
)
UNMEASURABLE_DONE = _re(r"^\s*(done|complete(d)?|fixed|improved|better|n/?a|tbd|ongoing|when possible|as needed|yes)\W*$")
TEAM_RE = _re(
    r"\b(team|teams|squad|guild|engineering|devs?|developers|sre|ops|devops|everyone|everybody|all|we|us|"
    r"infra(structure)?|platform|backend|frontend|it|support|management|staff|networking|security|operations|qa)\b"
)
ROLE_RE = _re(r"\b(lead|owner|manager|commander|role|director|head|captain|chief|champion|on-?call|engineer|architect)\b")
TRAINING_TITLE_RE = _re(
    r"^\s*(train|remind|educate|tell|teach|communicate|raise awareness|run an? (training|workshop)|share|brief)\b"
)
ENGINEERING_TITLE_RE = _re(
    r"\b(add|automate|block|enforce|(?<!double-)(?<!double )check|alert|guard|test|remove|replace|script|limit|gate)\w*\b"
)
