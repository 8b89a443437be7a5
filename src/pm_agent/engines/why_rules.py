"""Templates for the 5 Whys: data only. One template per cause category, plus the detection
and recovery branches.

A template supplies the steps the timeline cannot show: why no safeguard stopped the
trigger, and the systemic cause an organisation can fix. Those steps stay hypotheses with a
question to confirm them, unless an event (``guard_evidence``) or a stated fact backs them.
Templates hold no numbers: every number in a chain comes from the input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class WhyTemplate:
    """The systemic half of a trigger branch for one cause category."""

    category: str
    applies_to: str  # "change" (a change event set it off), "condition" (no change), or "any"
    trigger_guess: str
    trigger_question: str
    guard_why: str
    guard_because: str
    guard_question: str
    root_because: str
    root_question: str
    root_cause: str
    systemic_kind: str
    guard_evidence: re.Pattern[str] | None = None
    guard_lead: str = ""


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


UNINTENDED = _re(
    r"\b(unintend\w*|unintentional\w*|accidental(ly)?|unexpected(ly)?|inadvertent(ly)?|by mistake|"
    r"without (review|testing|approval)|not (tested|reviewed))\b"
)
UNINTENDED_LEAD = "The timeline records the change as unintended or unexpected"
LIMIT_REACHED = _re(
    r"\b(not enough|ran out|run out|exhaust\w*|starvation|max(imum)? (replicas|size)|limit (reached|hit)|"
    r"reached (its|the)? ?(limit|max\w*)|quota|oom\w*|out of memory|high memory|pending|overprovision\w*|capacity issue)\b"
)
LIMIT_LEAD = "The timeline shows the limit being reached"
MANUAL_RENEWAL = _re(r"\b(manual\w*|by hand|renew\w* (was )?(missed|forgotten|not run))\b")

GENERIC_CHANGE = WhyTemplate(
    category="other", applies_to="change",
    trigger_guess="A recent change probably set off the failure.",
    trigger_question="Which change, made when, preceded the first failure?",
    guard_why="Why did the change reach production without being caught?",
    guard_because="No automated check stopped the change before it reached users.",
    guard_question="Which checks, if any, did this change pass before it took effect?",
    root_because="Changes to this component are not required to pass an automated check that reproduces production conditions.",
    root_question="Is any pre-production check mandatory for this component, and what does it cover?",
    root_cause="Changes to the component reach production without an automated check that reproduces production conditions.",
    systemic_kind="safeguard", guard_evidence=UNINTENDED, guard_lead=UNINTENDED_LEAD,
)
GENERIC_CONDITION = WhyTemplate(
    category="other", applies_to="condition",
    trigger_guess="A condition in the system, not yet identified, started the failure.",
    trigger_question="What changed in load, data or environment just before the first failure?",
    guard_why="Why did this condition reach users without being caught?",
    guard_because="No check or alert flagged the condition before it affected users.",
    guard_question="Which checks or alerts watch this condition, and did any of them fire?",
    root_because="The failure mode is not covered by a test, a guard or an alert.",
    root_question="Which test, guard or alert would have caught this failure mode first?",
    root_cause="The failure mode is not covered by an automated test, guard or alert.",
    systemic_kind="safeguard",
)

TEMPLATES: tuple[WhyTemplate, ...] = (
    WhyTemplate(
        category="config", applies_to="change",
        trigger_guess="A configuration change probably set off the failure.",
        trigger_question="Which configuration change, applied when and through which path, preceded the failure?",
        guard_why="Why did the configuration change reach production without being caught?",
        guard_because="No automated validation or canary stage checked the configuration against production before it was applied.",
        guard_question="Which validation or canary step, if any, did this configuration change pass through?",
        root_because="Configuration changes are not required to pass automated validation and a staged rollout before reaching production.",
        root_question="Is validation of configuration changes enforced by the tooling, or optional?",
        root_cause="Configuration changes reach production without automated validation and a canary stage.",
        systemic_kind="safeguard", guard_evidence=UNINTENDED, guard_lead=UNINTENDED_LEAD,
    ),
    WhyTemplate(
        category="deploy", applies_to="change",
        trigger_guess="A deployment probably set off the failure.",
        trigger_question="Which deployment or pipeline run, at what time, preceded the failure?",
        guard_why="Why did the change take effect in production without being stopped?",
        guard_because="No pre-deploy gate (a dry-run plan, a test stage or a canary) stopped the pipeline before the change took effect.",
        guard_question="Which checks ran in the pipeline before this change took effect?",
        root_because="The delivery pipeline does not gate changes on a reviewed dry-run or a canary health check.",
        root_question="Can the pipeline apply a change to production without a dry-run review or canary?",
        root_cause="The delivery pipeline applies changes to production without a validation gate or a canary health check.",
        systemic_kind="safeguard", guard_evidence=UNINTENDED, guard_lead=UNINTENDED_LEAD,
    ),
    WhyTemplate(
        category="kubernetes", applies_to="change",
        trigger_guess="A change to the cluster probably set off the failure.",
        trigger_question="Which cluster change (manifest, add-on, node or network setting) preceded the failure?",
        guard_why="Why did the cluster change break workloads without being caught first?",
        guard_because="No integration test or staged rollout checked that traffic and workloads still worked after the cluster change.",
        guard_question="Which tests ran against the cluster after this change, and do they cover ingress traffic and scheduling?",
        root_because="Cluster changes have no automated post-change verification (synthetic traffic and scheduling checks) that blocks or rolls back a breaking change.",
        root_question="What verifies a cluster change in a production-like environment before and after it is applied?",
        root_cause="Cluster changes reach production without an automated traffic and scheduling test that blocks or rolls back a breaking change.",
        systemic_kind="test", guard_evidence=UNINTENDED, guard_lead=UNINTENDED_LEAD,
    ),
    WhyTemplate(
        category="kubernetes", applies_to="condition",
        trigger_guess="A workload or node condition in the cluster probably started the failure.",
        trigger_question="Which workload or node condition appeared first, and what preceded it?",
        guard_why="Why could one workload or node condition affect others in the cluster?",
        guard_because="No resource limit, priority class or workload isolation kept the condition from spreading to other workloads.",
        guard_question="Which resource limits, priority classes and node groups applied to the workloads involved?",
        root_because="The cluster does not enforce resource limits and isolation for every workload, so one workload can starve a node.",
        root_question="Is there a policy that rejects workloads without resource limits, and do critical workloads have priority?",
        root_cause="The cluster does not enforce resource limits, priorities and isolation between workloads.",
        systemic_kind="safeguard", guard_evidence=LIMIT_REACHED, guard_lead=LIMIT_LEAD,
    ),
    WhyTemplate(
        category="capacity", applies_to="any",
        trigger_guess="Demand probably exceeded the capacity of a resource.",
        trigger_question="Which resource ran out (compute, memory, addresses, connections), and what raised demand?",
        guard_why="Why did demand exceed the available capacity without warning?",
        guard_because="No headroom alert or scaling limit flagged the resource as it approached its limit.",
        guard_question="Which alert watches this resource's headroom, and at what threshold?",
        root_because="The resource has no capacity plan that tracks its limit and triggers scaling or an alert before it is reached.",
        root_question="Is this resource's limit recorded in a capacity plan with an owner and a review date?",
        root_cause="No capacity plan with headroom alerts and scaling limits covers the exhausted resource.",
        systemic_kind="capacity", guard_evidence=LIMIT_REACHED, guard_lead=LIMIT_LEAD,
    ),
    WhyTemplate(
        category="dependency", applies_to="any",
        trigger_guess="A change or failure in a dependency probably set off the failure.",
        trigger_question="Which dependency (library, SDK, provider, service) changed or failed, and when?",
        guard_why="Why did the change reach users without the incompatibility being caught?",
        guard_because="No compatibility test or fallback protected consumers from the change in the dependency.",
        guard_question="Which versions and consumers of the dependency are tested before a release?",
        root_because="Components are released without automated compatibility tests against the versions they must work with, and callers have no safe fallback.",
        root_question="Is there a list of supported versions, and does CI test against it?",
        root_cause="Releases are not checked for compatibility with the versions still in use, and callers lack a safe fallback.",
        systemic_kind="test", guard_evidence=_re(r"\b(backwards?[- ]compat\w*|compatib\w*|breaking)\b"),
        guard_lead="The timeline names an incompatibility",
    ),
    WhyTemplate(
        category="database", applies_to="any",
        trigger_guess="A database change or load probably set off the failure.",
        trigger_question="Which migration, query or load on the database preceded the failure?",
        guard_why="Why did the database change or load affect the service without being caught?",
        guard_because="No migration review, load test or query guard checked the database operation against production-sized data first.",
        guard_question="Was the operation tested against production-sized data, and is there a guard on runaway queries?",
        root_because="Database changes and loads have no automated pre-production check against production-like data and no guard on runaway queries.",
        root_question="Which pre-production check is required for database changes?",
        root_cause="Database changes and loads are not tested against production-like data before they run in production.",
        systemic_kind="safeguard",
    ),
    WhyTemplate(
        category="time", applies_to="any",
        trigger_guess="A certificate expiry or other time-dependent behaviour probably set off the failure.",
        trigger_question="Which certificate, key or date-dependent logic failed, and when did it expire or roll over?",
        guard_why="Why did the expiry or time-dependent behaviour go unnoticed until it failed?",
        guard_because="No automatic renewal or expiry alert covered the time-limited item.",
        guard_question="How is this item renewed, and which alert watches its expiry date?",
        root_because="Time-limited items such as certificates are renewed by hand and no inventory alerts ahead of their expiry.",
        root_question="Is there an inventory of certificates and keys with automatic renewal?",
        root_cause="Time-limited items (certificates, keys, dates) have no automatic renewal and no expiry alert.",
        systemic_kind="safeguard", guard_evidence=MANUAL_RENEWAL, guard_lead="The timeline shows how the item was renewed or expired",
    ),
    WhyTemplate(
        category="network", applies_to="any",
        trigger_guess="A network change or fault probably cut traffic.",
        trigger_question="Which network component (routing, DNS, load balancer, addresses) changed or failed, and when?",
        guard_why="Why did the network change or fault cut traffic without being caught?",
        guard_because="No pre-change validation or redundant path kept traffic flowing through the network component.",
        guard_question="Was the network change validated before it was applied, and is there a redundant path?",
        root_because="Network changes are not validated in a staged environment and the path has no redundancy or automatic rollback.",
        root_question="Which validation and rollback do network changes require?",
        root_cause="The network path has no validation before change and no redundant path or automatic rollback.",
        systemic_kind="design", guard_evidence=UNINTENDED, guard_lead=UNINTENDED_LEAD,
    ),
    WhyTemplate(
        category="security", applies_to="any",
        trigger_guess="A security event (misuse of access, an attack or an expired credential) probably set off the failure.",
        trigger_question="Which access path or credential was involved, and when was it first used or changed?",
        guard_why="Why did the security event succeed without being stopped?",
        guard_because="No preventive control or detection rule blocked the access path involved.",
        guard_question="Which policies and detection rules cover this access path?",
        root_because="The access path is not covered by an enforced policy (least privilege, secret scanning, rate limiting) and no detection rule alerts on its misuse.",
        root_question="Who owns the policy for this access path, and is it enforced by tooling?",
        root_cause="The access path lacks an enforced preventive control and a detection rule.",
        systemic_kind="safeguard",
    ),
    WhyTemplate(
        category="hardware", applies_to="any",
        trigger_guess="A hardware or facility fault probably took a component down.",
        trigger_question="Which hardware or facility component failed, and when?",
        guard_why="Why did the hardware fault take the service down rather than fail over?",
        guard_because="The service depends on the failed component without redundancy or automatic failover.",
        guard_question="Which redundancy and failover exist for this component, and when were they last tested?",
        root_because="The design does not require redundancy for this component, and failover is not tested regularly.",
        root_question="Is failover for this component part of a regular drill?",
        root_cause="A single hardware component without redundancy or tested failover.",
        systemic_kind="design",
    ),
    WhyTemplate(
        category="concurrency", applies_to="any",
        trigger_guess="Concurrent operations on shared state probably conflicted.",
        trigger_question="Which operations ran at the same time on the same state, and in what order?",
        guard_why="Why did the concurrent operations conflict without being caught?",
        guard_because="No test or locking design covered the concurrent access pattern.",
        guard_question="Which tests exercise concurrent access to this state?",
        root_because="Concurrent paths are not exercised by tests and the design does not serialise conflicting operations.",
        root_question="Does the design document which operations may run concurrently?",
        root_cause="Concurrent access to shared state is neither tested nor guarded.",
        systemic_kind="test",
    ),
    WhyTemplate(
        category="cascading", applies_to="any",
        trigger_guess="A failure in one component probably spread to others.",
        trigger_question="Which component failed first, and how did the failure reach the others?",
        guard_why="Why did one failure spread to other components?",
        guard_because="No isolation (bulkheads, circuit breakers, back-off or workload priorities) contained the failure.",
        guard_question="Which isolation exists between the components involved?",
        root_because="The architecture does not isolate components from a failing neighbour or limit retries and load.",
        root_question="Which dependencies between these components are allowed to fail without spreading?",
        root_cause="Components are not isolated from a failing neighbour (no bulkheads, circuit breakers or workload priorities).",
        systemic_kind="design",
    ),
    WhyTemplate(
        category="control-plane", applies_to="any",
        trigger_guess="A control-plane problem probably affected running workloads.",
        trigger_question="Which control-plane component (API server, scheduler, etcd, service discovery) was affected, and when?",
        guard_why="Why did the control-plane problem affect the data plane?",
        guard_because="Workloads depend on the control plane being available and no guard limits the reach of its changes.",
        guard_question="Which workloads keep serving when the control plane is unavailable?",
        root_because="The data plane depends on control-plane availability and control-plane changes are not staged.",
        root_question="Are control-plane changes rolled out in stages with a health check?",
        root_cause="The data plane depends on control-plane availability with no guard on the reach of control-plane changes.",
        systemic_kind="design",
    ),
    WhyTemplate(
        category="observability", applies_to="any",
        trigger_guess="A gap in monitoring probably let a failure continue unseen.",
        trigger_question="Which signal stopped being collected or was never collected?",
        guard_why="Why did the monitoring gap go unnoticed?",
        guard_because="No check verifies that logs, metrics and alerts are still being delivered.",
        guard_question="What tells the team when a log or metric stream stops?",
        root_because="Telemetry pipelines have no alert on their own absence.",
        root_question="Which telemetry streams have an alert on missing data?",
        root_cause="Telemetry pipelines have no alert on missing data, so monitoring gaps stay silent.",
        systemic_kind="alert",
    ),
    WhyTemplate(
        category="human-process", applies_to="any",
        trigger_guess="A manual step probably produced an unexpected result.",
        trigger_question="Which manual step was taken, and what result did it have?",
        guard_why="Why did the manual step produce its result without being caught?",
        guard_because="The manual procedure had no checklist, peer check or automation that would show the wrong result before it took effect.",
        guard_question="Is the procedure written down, and does tooling check its result?",
        root_because="The procedure depends on manual steps that tooling neither automates nor checks.",
        root_question="Which steps of this procedure could be automated or checked by tooling?",
        root_cause="The procedure relies on manual steps that are not automated or checked by tooling.",
        systemic_kind="process", guard_evidence=UNINTENDED, guard_lead=UNINTENDED_LEAD,
    ),
    GENERIC_CHANGE,
    GENERIC_CONDITION,
)

# --- detection and recovery branches -------------------------------------------------------

DETECTION_REPORT_WHY = "Why was the failure first detected through a report rather than an alert?"
DETECTION_DELAY_WHY = "Why was the failure detected only after a delay?"
DETECTION_NO_ALERT_WHY = "Why did no alert catch the failure first?"
DETECTION_LATE_ALERT_WHY = "Why did the alert not fire sooner?"
DETECTION_NO_ALERT_GUESS = "No alert appears in the timeline before that report; the monitoring probably does not watch this symptom."
DETECTION_NO_ALERT_QUESTION = "Which alert, if any, covers this symptom, and did it fire?"
DETECTION_LATE_ALERT_GUESS = "The alert's threshold or evaluation window probably delayed it."
DETECTION_LATE_ALERT_QUESTION = "What are the alert's threshold and evaluation window, and when did the signal first cross it?"
DETECTION_ROOT_WHY = "Why is this symptom not covered by prompt alerting?"
DETECTION_ROOT_BECAUSE = "Alerting watches internal signals but not the user-facing symptom of this failure mode."
DETECTION_ROOT_QUESTION = "Which user-facing signals (error responses, failed user actions, synthetic checks) have alerts?"
DETECTION_ROOT_CAUSE = "No alert watches the user-facing symptom of this failure mode, so the failure was not detected by monitoring first."
DETECTION_LATE_ROOT_CAUSE = "The alert for this symptom is not tuned to detect the failure promptly."

RECOVERY_WHY_RETRIES = "Why did recovery need more than one attempt?"
RECOVERY_WHY_SLOW = "Why did recovery take as long as it did?"
RECOVERY_BLOCKER_WHY = "Why did the first attempts not restore service?"
RECOVERY_STALL_WHY = "What held recovery up?"
RECOVERY_DIAGNOSIS_WHY = "Why did it take until then to find the cause?"
RECOVERY_GUESS = "The cause was not obvious from the available signals, so diagnosis took time."
RECOVERY_GUESS_QUESTION = "Which signal or dashboard finally pointed at the cause, and was it available from the start?"
RECOVERY_ROOT_WHY = "Why was there no faster, tested path to recovery?"
RECOVERY_ROOT_BECAUSE = "No rehearsed runbook or one-step rollback existed for this failure mode."
RECOVERY_ROOT_QUESTION = "Was there a runbook or a rollback for this failure, and was it used?"
RECOVERY_ROOT_CAUSE = "No rehearsed runbook or one-step rollback for this failure mode, so recovery relied on diagnosis and repair during the incident."

# --- reviewing a user's chain -------------------------------------------------------------

@dataclass(frozen=True)
class StopRule:
    """A place a why-chain should not stop (``last_only``) or should never go (anywhere)."""

    code: str
    pattern: re.Pattern[str]
    finding: str
    questions: tuple[str, ...]
    last_only: bool


PERSON_QUESTIONS = (
    "What in the system made this action possible, or likely?",
    "What safeguard would have caught the action before it had an effect?",
)
HUMAN_VERBS = (
    r"(pushed|forgot|typed|clicked|missed|ignored|skipped|neglected|overlooked|approved|merged|"
    r"didn't|did not|should have|was careless|made a mistake|messed up)"
)
ROLE_VERBS = rf"({HUMAN_VERBS[1:-1]}|failed to|deleted|broke)"
NOT_NAMES = frozenset(
    "The A An It This That These Those We They Our Their There Nobody Someone Somebody Everyone Nothing "
    "No Because Then When Which What Who Why How Production Staging Prod Config Deploy Monitoring".split()
)
NAMED_PERSON = re.compile(rf"(?:^|\b[Bb]ecause\s+|\bby\s+)([A-Z][a-z]+(?:\s[A-Z][a-z]+)?)\s+{HUMAN_VERBS}\b")
NAMED_PERSON_POSSESSIVE = re.compile(r"\b([A-Z][a-z]+)'s\s+(mistake|fault|error|change|typo|bad)\b")
HANDLE = re.compile(r"@[A-Za-z0-9_.-]+")

STOP_RULES: tuple[StopRule, ...] = (
    StopRule(
        "human_error", _re(r"\b(human|operator|user|engineer|admin|pilot|manual) error\b|\bhuman factor\b"),
        "stops at 'human error', which explains nothing an organisation can change.", PERSON_QUESTIONS, False,
    ),
    StopRule(
        "role_blame",
        _re(rf"\b(he|she|the (engineer|developer|operator|admin|intern|on-?call|new hire|contractor)|someone)\s+{ROLE_VERBS}\b"),
        "makes a person's action the cause; ask what let the action have this effect.", PERSON_QUESTIONS, False,
    ),
    StopRule(
        "config_error", _re(r"\b(config(uration)? (error|mistake|issue|problem)|bad config\w*|misconfigur\w*|wrong (config\w*|settings?))\b"),
        "stops at a configuration error; ask what let an unvalidated configuration through.",
        ("What allowed an unvalidated config to reach production?", "Why did no test or check catch it before deploy?"),
        True,
    ),
    StopRule(
        "bug", _re(r"\b(a |the )?(software |code )?bugs?\b|\bdefect\b|\bcoding error\b"),
        "stops at 'a bug'; every system has bugs, so ask why this one reached users.",
        ("Why did no test catch the bug before release?",
         "What let the bug's effect reach users (no canary, no feature flag, no fast rollback)?"),
        True,
    ),
    StopRule(
        "mistake", _re(r"\b(mistake|oversight|careless\w*|negligen\w*|forgot|slip|lapse|wasn't careful|not careful)\b"),
        "stops at a mistake; mistakes are normal, so ask what let this one cause an incident.", PERSON_QUESTIONS, True,
    ),
    StopRule(
        "process_not_followed",
        _re(r"\b(didn't|did not|failed to|not|never) follow(ed)?\b[^.]{0,30}\b(process|procedure|runbook|checklist|policy)\b|"
            r"\b(process|procedure|runbook|checklist|policy) (was )?(not|never) followed\b|\bignored the (process|procedure|runbook)\b"),
        "stops at 'didn't follow the process'; ask why the process could be skipped.",
        ("Why could the step be skipped: is it enforced by tooling?",
         "What made following the process hard at that moment (time pressure, unclear or outdated steps)?"),
        True,
    ),
)
SYSTEMIC_MARKERS = _re(
    r"\b(no|not|without|missing|lack\w*|gap|absent|none|never)\b|\b(process|policy|checks?|tests?|alert\w*|runbook|"
    r"design|automat\w*|safeguard|review|monitor\w*|capacity plan|guard|gate|canary|validation|standard|limit)\b"
)
NOT_SYSTEMIC_FINDING = "stops at an event, not at something the organisation can change (a missing check, test, alert, limit or process)."
NOT_SYSTEMIC_QUESTIONS = ("What check, test or alert could have stopped this?", "Which part of the system made this possible?")
TOO_SHORT_QUESTION = "What allowed the last cause to happen, and what check could have stopped it?"
