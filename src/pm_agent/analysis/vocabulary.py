"""The one event vocabulary: what the words of an incident event say it is. A table module: no logic.

Each tag is a word pattern; :mod:`pm_agent.analysis.tagging` applies them all to every event
once, and the timeline phases, the key times, the causes, the Five Whys, the actions, the lessons
and the summary all read the resulting tags. Nothing else re-scans event texts with a keyword list
of its own, and a phrase another reader needs too (a silent failure, "no failover errors" as no
gap) is defined here once and imported.

No tag's word counts inside a name joined by hyphens or underscores ("push-relay", "deploy-bot",
"notification-worker"): see ``JOINED_TOKEN``.

Unlike the word lists in ``pm_agent/data/``, these stay Python: each tag is a regular expression
with look-arounds and shared fragments, and the order of its alternatives decides which words a
draft quotes, so it reads best next to the fragments it is built from.

The tags:

- ``acknowledgement``: a responder took the page (acknowledged, on it);
- ``symptom``: the failure as users or systems saw it (errors, 5xx, down, timeouts, NotReady, OOM), never a
  number that only looks like a status code ("65,536", "500 ms", "500 users"), a step's "down" ("scaled down the
  pool") nor the old things a clean-up removed ("stale records cleaned up");
- ``alert``: an automated alert, alarm or page; ``report``: a person (user, customer, support)
  told the team; ``declaration``: the incident was declared, a ticket raised, a status page opened;
- ``investigation``: looking into it (an activity, not a result; "debug logging disabled" is a setting changed);
  ``finding``: something learned
  (found, discovered, identified, turned out, concluded, OOM-killed, misconfigured, expired...), what the
  evidence logs, shows or returns ("pods log NXDOMAIN"), or what a change did;
  ``negative``: an investigation that found nothing or assumed wrongly;
- ``cause_statement``: the text says why (caused by, due to, because, led to, meant, root cause);
- ``change``: a deploy, release, configuration, migration, upgrade, pipeline run, roll-over or a credential
  issued anew; never an update that tells people ("status page updated", "merchants were updated", "Update: ...");
- ``mitigation``: an attempt to stop the impact (roll back, revert, restart, scale, remove,
  disable, reattach, kill, drain, fail over, hotfix); its outcome: ``failed`` or ``worked``. A state is not a
  step: a drain or a clear is one only when it names what it acted on or who did it ("drained node-3", not
  "queue draining" or "backlog cleared"), and step words in what the evidence says ("the provider reports its
  incident mitigated"), in what a change did ("change 812 removed the record"), in a step named as a moment
  ("flat after the rollback"), in a failover the system made by itself ("orders-db failed over at 03:14") or in an
  alert are no step (:func:`pm_agent.analysis.tagging.tags_of`);
- ``recovery``: the impact stopped (back to normal, back under a threshold, recovered, restored, working again,
  the backlog or the alerts cleared); ``progress``: on its way there ("queue draining");
  ``resolution``: the incident was closed;
- ``lasting_fix``: a fix that stays once made (a fix committed, merged or deployed, a revert committed, a limit
  set, a version pinned, configuration changed in IaC), unlike a response step that only ends this occurrence
  (re-trigger, roll back, restart, reattach);
- ``automatic``: a system, not a person, took the step (automatically, by the pipeline); ``begun``: a step
  only started (triggered, initiated, kicked off, in progress), not yet done;
- ``followup``: a fix or follow-up decided or tracked (we will, ticket raised, action item), never a negated
  one ("no ticket filed"); ``communication``: people were told about the incident (customers emailed, status page
  updated), never the affected writing to the team ("a customer emailed support" is a ``report``) nor a campaign
  or the product's own mail ("campaign email sent to the marketing list", "welcome email");
- ``unintended``, ``blocked``, ``manual``, ``retry``, ``repeat``, ``gap`` (a stated missing
  safeguard: no alert, not covered by tests), ``failover`` (a standby or replica took over), ``growth`` (a
  resource growing, filling or leaking), ``trend`` (a measure moving one way, with no object: "memory usage rising",
  "success ratio dropping since 09:00"; never "increasing the pool size"), ``deviation`` (a figure set against what
  it should be: "1.2M vs 1.9M expected", "480 ms (baseline 210 ms)", "fewer rows than last week"), ``gate_caught`` (a canary or release gate stopped the
  change itself), ``noise`` (flapping, false alarms), ``handover``, ``data_loss`` (an amount of data
  gone: "300 GB removed", "4,000 rows deleted": what users lost, never a step taken to recover),
  ``tentative`` (potential, suspected, likely), ``dismissed`` (a sign seen and set aside: "put down to
  user growth", "no ticket filed"), ``worsened`` (a step or event that made the failure worse or spread it:
  "piled onto", "made it worse", "cascaded"), ``limit_reached`` (a stated limit the system hit: "at 65,536 open
  files, the ulimit", "autoscaling max is 12 workers", "ran out of IP addresses").
"""

from __future__ import annotations

import re

from pm_agent.textscan.words import compile_scanned


def _p(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# An HTTP status code is a number the text says is one: "503s", "500 errors", "502 Bad Gateway", "HTTP 504",
# "returned 500", "a 503 to every caller", "404 for every image". A number followed by the things it counts ("500
# users", "503 customers", "500 requests were retried", "returned 500 rows") is a count, and never part of a larger
# number ("65,536", "1,500", "0.503") nor a quantity with its unit ("500 ms", "512 MB", "400/s", "500%").
_UNIT = (
    r"ms|milliseconds?|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|days?|[kmgtp]i?b|bytes|req/s|rps|qps|x|"
    r"(?:kilo|mega|giga|tera)bytes"
)
_NOT_A_QUANTITY = rf"\b(?![.,]\d|/)(?!\s*(?:%|(?:{_UNIT})\b))"
# What names a number a status: the word after it ("500 errors", "503 Service Unavailable", "503 incidents") ...
_STATUS_NOUN = (
    r"errors?|responses?|status(?:es)?|codes?|rates?|ratios?|share|count|percentage|spikes?|storms?|incidents?|"
    r"internal server error|bad gateway|service unavailable|gateway time-?out|not found|forbidden|unauthori[sz]ed|"
    r"too many requests|bad request|request time-?out|not implemented|method not allowed|conflict|unprocessable|"
    r"payload too large"
)
# ... or the word before it: one that names a status outright ("HTTP 502", "status 503 messages", "error 500") ...
_STATUS_NAMED = "|".join(
    rf"(?<=\b{word})" for word in ("http ", "http/", "status ", "status: ", "code ", "codes ", "code: ", "error ",
                                    "errors ")
) + r"|(?<=\()"  # fmt: skip
# ... or an article or a verb of answering before it, when no counted thing follows: "returned 500 to every caller",
# "got a 401 and retried" (never "returned 500 rows", "a 400 line patch").
_STATUS_ANSWERED = "|".join(
    rf"(?<=\b{word} )"
    for word in (
        "with", "return", "returns", "returned", "returning", "answer", "answers", "answered", "answering", "serve",
        "serves", "served", "serving", "throw", "throws", "threw", "throwing", "get", "gets", "got", "getting", "see",
        "sees", "saw", "seeing", "give", "gives", "gave", "giving", "receive", "receives", "received", "receiving",
    )
)  # fmt: skip
_NO_COUNTED_THING = (
    r"(?=\s*(?:$|[^\w\s-])|\s+(?:for|from|on|to|in|at|and|or|when|while|after|since|with|because|across|during|"
    r"until|under|is|was|are|were|back|again|instead|now|then|but|so)\b)"
)
# After "a", a verb says the number is what something answered ("a 503 comes back", "a 401 started a refresh"): "a"
# before a count is not English ("a 500 users").
_A_STATUS_ACTS = r"(?=\s+[a-z]+(?:ed|s)\b)"


def _status_code(first_digit: str) -> str:
    code = rf"(?<![\d.,]){first_digit}\d\d"
    return (  # "(?=...)" first: the look-behinds are tried only where a code stands
        rf"(?={first_digit}\d\d)(?:{code}s\b(?![.,]\d|/)|"  # "503s"
        rf"{code}{_NOT_A_QUANTITY}(?=\s*\(?(?:{_STATUS_NOUN})\b)|"  # "500 errors", "503 (Service Unavailable)"
        rf"(?:{_STATUS_NAMED}){code}{_NOT_A_QUANTITY}|"  # "HTTP 502", "status 503 messages"
        rf"(?:{_STATUS_ANSWERED}|(?<=\ba )){code}{_NOT_A_QUANTITY}{_NO_COUNTED_THING}|"  # "returned 503 to"
        rf"(?<=\ba ){code}{_NOT_A_QUANTITY}{_A_STATUS_ACTS}|"  # "got a 401 started its own refresh"
        rf"{code}{_NOT_A_QUANTITY}(?=\s+(?:for|from)\b))"  # "404 for every image", "502 from the edge"
    )


HTTP_STATUS = _status_code("[45]")
SERVER_ERROR_STATUS = _status_code("5")
# A number shaped like a server error where the words around it already say what it answers: "requests were 503".
SERVER_ERROR_NUMBER = rf"(?<![\d.,])5\d\d(?:s|ed)?{_NOT_A_QUANTITY}"
# "down" as a service down ("checkout is down", "went down"; never "downstream", "download", "downgrade"), not the
# particle of a step ("scale down the pool", "scaled the workers down to 4 replicas"), a level reached ("went down to
# normal") or a judgement ("put it down to user growth").
_DOWN = (
    r"(?=down\b)"  # first: the look-behinds are tried only where "down" stands
    + "".join(
        rf"(?<!\b{verb} )"
        for verb in (
            "scale", "scales", "scaled", "scaling", "put", "puts", "putting", "put it", "put this", "put that",
            "narrow", "narrowed", "narrowing", "track", "tracked", "tracking", "drill", "drilled", "drilling", "wind",
            "winding", "wound", "tone", "toned", "pare", "pared", "write", "wrote", "written", "calm", "calmed",
        )
    )
    + r"down\b(?!\s+to\s+(?:normal|baseline|usual|expected|nominal)\b)(?!\s+to\s+[^.;,]{0,20}?\blevels?\b)"
    r"(?!\s+(?:to|from)\s+\d[\d,.]*\s*(?:replicas?|workers?|nodes?|pods?|instances?|hosts?|machines?|shards?|tasks?|"
    r"containers?|vms?)\b)"
)  # fmt: skip
FAILURE_WORDS = (
    rf"fail\w*|errors?|exceptions?|outage|{_DOWN}|downtime|unavailable|unreachable|unable|cannot|can't|crash\w*|"
    r"broke\b|broken|break(?:s|ing)\b|"
    r"tim(?:e|ed|es|ing) ?out|timeouts?|stuck|pending|starv\w*|oom\w*|out of memory|unresponsive|not ?ready|"
    rf"degrad\w*|slow(?:ness|ed)?|latency|{HTTP_STATUS}|5xx|high (?:memory|cpu|load|latency|error)\w*|"
    r"(?:increase|spike|surge|jump) in|not (?:working|available|responding|reachable|scheduled|"
    r"running|shipped|joining|joined)|lost|missing|expired|evict\w*|killed|zombies?|no nodes|spike\w*|"
    r"empty|corrupt\w*|lag\w*|backlog|saturat\w*|exhaust\w*|throttl\w*|leak\w*|overload\w*|disconnect\w*|"
    r"wrong|incorrect\w*|reversed|invalid|mismatch\w*|stale|dropped (?:the|a|an|its|all|every|rows?|records?)|"
    # a delay stated with its figure: "the queue is 35 minutes behind", "emails arrive 2 hours late"
    r"\d[\d,.]*\s*(?:ms|milliseconds?|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|days?) (?:behind|late|delayed)\b"
)

# Phrases two readers share, written once. The team confirmed the fix worked (an outcome, and a recovery):
CONFIRMED_RESOLVED = r"confirmed (?:expected behaviou?r|(?:the )?issue (?:was )?resolved|resolution)"
# A step run again with something changed ("backfill re-run with the lookup made optional", "retried from the mirror
# registry"): a new step, unlike a repeat as it was ("pipeline re-triggered due to a timeout").
RETRY_WITH_A_CHANGE = (
    r"\b(?:re-?run|re-?ran|retried|re-?triggered|re-?queued|re-?applied|re-?pushed)\b[^.;]{0,60}?"
    r"\b(?:with|using|from|against|after)\b"
)
# What a revert undoes: "revert the gateway module reference" (never where it went back to: "revert to 4.1").
REVERTED = (
    r"\brevert(?:s|ed|ing)?\s+(?!to\b|back\b)(?:the\s+|a\s+|an\s+|our\s+)?"
    r"(?P<what>[^.;:,()]{3,80}?)\s*(?=$|[.;:,()]|\b(?:to|back to|because|due to|after|so|which|and|but|on|in prod\w*)\b)"
)
# What a step that raises a limit raises: "raised the autoscaling max to 40 workers", "increased the pool size from 50
# to 150", "bumped ulimit -n", "scaled up the checkout pods", "the memory limit was doubled to 4 GiB". A bare resource
# ("memory", "workers") counts only after a verb a person uses ("increased memory for the worker"): "memory increased
# to 97%" is a reading.
_LIMIT_SETTING = (
    r"(?:limits?|max(?:imum)?(?:[_-][a-z]+)?|maxes|cap|ceiling|quotas?|ulimit(?: -n)?|nofile|timeouts?|pool size|"
    r"(?:replica|worker|instance|node|pod|thread|shard|partition|connection) count|concurrency|max_connections)"
)
_LIMIT_RESOURCE = (
    rf"(?:{_LIMIT_SETTING}|capacity|pool|(?:heap|disk|volume|buffer|batch|queue) size|iops|replicas|workers|"
    r"instances|nodes|pods|threads|shards|partitions|connections|memory|cpu|heap|disk(?: space)?|storage|"
    r"file descriptors|throughput)"
)
# After the resource, what makes it a reading rather than a setting: "increased memory pressure", "cpu usage".
_A_READING = (
    r"(?!\s+(?:usage|use|pressure|consumption|utili[sz]ation|load|leak\w*|errors?|growth|spikes?|saturation|"
    r"contention|churn|waits?|exhaustion|latency|lag)\b)"
)
_VALUE = r"\d[\d,.]*\s*(?:(?!(?:on|in|per|for|at|to|by|from|of|and|across)\b)[A-Za-z%][\w/%]*)?"
_NOT_A_NAME = r"(?:to|and|or|but|by|from|again|as|at|in|on|so|then|with|while|when|because|after|before)"
RAISED_LIMIT = (
    r"\b(?:raised|raising|increased|bumped|bumping|doubled|tripled|grew|expanded|extended)\s+"
    r"(?:the\s+|our\s+|its\s+|their\s+)?"
    rf"(?P<what>(?:(?:number|count) of\s+)?(?:(?!(?:to|from|by|on|for|of|and)\b)[\w./-]+\s+){{0,3}}{_LIMIT_RESOURCE})"
    rf"\b{_A_READING}"
    r"(?P<of>\s+(?:of|for|on)\s+(?:the\s+)?(?!\d)[\w./-]+(?:\s+(?!(?:to|from|by|and)\b)[\w./-]+)?)?"
    rf"(?:\s+(?:from\s+{_VALUE}\s+)?to\s+(?P<new>{_VALUE}))?|"
    rf"\bscal(?:ed|ing)\s+(?:up|out)\s+(?:the\s+)?(?P<scaled>(?!{_NOT_A_NAME}\b)[\w./-]+"
    rf"(?:\s+(?!{_NOT_A_NAME}\b)[\w./-]+){{0,2}})"
    rf"(?:\s+(?:from\s+{_VALUE}\s+)?to\s+(?P<scaled_new>{_VALUE}))?|"
    rf"(?P<passive>\b(?:(?!(?:the|a|an|we|i|and|then)\b)[\w./-]+\s+){{0,2}}{_LIMIT_SETTING})"
    r"(?P<passive_of>\s+(?:of|on|for)\s+(?:the\s+)?(?!\d)[\w./-]+)?\s+"
    r"(?:was\s+|were\s+|is\s+|has been\s+|have been\s+)?(?:raised|increased|bumped|doubled|tripled)\b"
    rf"(?:\s+(?:from\s+{_VALUE}\s+)?to\s+(?P<passive_new>{_VALUE}))?"
)
# The system at a limit: "at 12 workers, all busy", "50 of 50 connections in use", "maxed out", "hit the limit".
AT_LIMIT = (
    r"\bat (?:its |the |their )?(?:limit|max\w*|cap|ceiling|capacity|quota)\b|\bat [\d][\d,.]*\s*[A-Za-z]|"
    r"\b(?P<used>[\d][\d,]*) (?:of|out of) (?P=used)\b|\ball (?:busy|in use|taken|used)\b|\bmaxed(?: out)?\b|"
    r"\b(?:hit|hits|hitting|reached|reaches|reaching) (?:the |its |their )?(?:\w+ )?(?:limit|max\w*|cap|ceiling|quota)\b|"
    r"\bsaturat\w*|\bexhaust\w*|\bat 100 ?%|"
    r"\bno (?:free|spare|idle|available) \w+"
)
# What the limit was: "autoscaling max is 12 workers", "a quota of 500".
LIMIT_STATED = r"\b(?:limit|max\w*|cap|ceiling|quota)s? (?:is|was|are|were|of|at) \d"
# The data says a limit was not the problem: "the pool never reached its limit", "well below the quota".
LIMIT_NOT_REACHED = (
    r"\b(?:never|not|didn't|did not|nowhere near|wasn't|was not|weren't|were not)\s+(?:\w+\s+){0,2}?"
    r"(?:reach\w*|hit|near|close to|at)\s+(?:the |its |their |a )?(?:\w+ )?(?:limit|max\w*|cap|ceiling|quota)\b|"
    r"\b(?:well |far )(?:below|under) (?:the |its |their )?(?:\w+ )?(?:limit|max\w*|cap|ceiling|quota)\b"
)
# The load went up: "order volume is up", "request rate is 11x normal", "a spike in sign-ups".
_LOAD = (
    r"(?:volume|traffic|load|requests?|request rate|rps|qps|orders?|sign-?ups?|logins?|sessions?|connections?|calls|writes?|"
    r"write rate|reads?|read rate|jobs?|messages?|events|uploads?|demand|throughput)"
)
LOAD_ROSE = (
    rf"\b{_LOAD}\b[^.;]{{0,30}}?\b(?:is |was |are |were |has |have |had )?(?:up\b|rose|risen|rising|grew|grown|"
    r"growing|spiked?|surged?|doubled|tripled|increased|jumped|climbed|higher than|above (?:normal|usual|baseline)|"
    r"[\d.]+ ?x\b)|"
    rf"\b(?:spike|surge|jump|increase|rise|peak) in (?:[\w-]+ ){{0,2}}{_LOAD}\b|"
    r"\b[\d.]+ ?x (?:the )?(?:normal|usual|baseline|typical)\b"
)
# A safeguard that fails without telling anyone (a stated gap, and what remedies turn into "exit non-zero"):
SILENT_FAILURE = (
    r"(?:exits?|exited|returns?|returned) (?:with )?(?:status |code |exit code )?0 (?:on|when|after)\b|"
    r"fail(?:s|ed)? silently|silently fail(?:s|ed)?"
)
# After "no <safeguard>", what makes it a report of no failures rather than a missing safeguard ("no failover
# errors were seen").
NOT_A_SAFEGUARD = r"(?! (?:errors?|issues?|problems?|events?|failures?|warnings?|alerts?|was|were|happened|occurred)\b)"
# The people outside the team whom a failure reaches and who may report it: one list for reports and for the impact a
# clause states. (The audience of a message is narrower: a newsletter to every subscriber tells nobody of an incident.)
OUTSIDE_PEOPLE = (
    r"(?:customers?|users?|end-users?|clients?|partners?|members?|merchants?|shoppers?|tenants?|subscribers?|"
    r"visitors?|buyers?|sellers?|players?|guests?|passengers?|riders?)"
)
# Someone affected wrote to the team: "a customer emailed support", "users called the helpdesk". The message is how
# the failure reached the team (a report), not the team telling anyone (communication).
REPORT_BY_MESSAGE = (
    rf"\b{OUTSIDE_PEOPLE}\b[^.;]{{0,40}}?"
    r"\b(?:e-?mailed|mailed|messaged|called|phoned|wrote to|reached out to|contacted|opened a ticket with|"
    r"filed a ticket with)\s+(?:the |our |a )?(?:support|us|helpdesk|help desk|service desk|on-?call|team)\b"
)
# A drain or a clear is a step when it names what it acted on ("drained node-7", "cleared the CDN cache") or who did
# it ("manually cleared"). With nothing after the verb, or as a noun, it says how things stand: "queue draining, oldest
# item 12 minutes old", "backlog cleared", "since the maintenance drain". What follows it then is no object:
_NO_OBJECT = (
    r"\s*(?:$|[,.;:!?)\]])|\s+(?:and|or|but|so|now|then|again|at|to|in|on|of|since|after|before|within|over|as|while|"
    r"from|up|out|down|off|(?!manually|forcefully)\w+ly)\b"
)
DRAIN_OR_CLEAR_STEP = (
    rf"(?:drain(?:ed|ing)?|clear(?:ed|ing))\b(?!{_NO_OBJECT})|(?:manual(?:ly)?|forcefully|force)[- ](?:drained|cleared)"
)
# The failure's signal or its queue gone by itself: "backlog cleared", "all disk alerts cleared", "queue drained".
FAILURE_CLEARED = (
    r"\b(?:backlogs?|queues?|lag|alerts?|alarms?|errors?|timeouts?|failures?|warnings?|5xxs?|crashes|retries)\s+"
    r"(?:(?:has|have) been\s+|(?:is|are|was|were)\s+)?"
    rf"(?:now\s+|fully\s+|all\s+)?(?:cleared|drained|emptied)\b(?=(?:{_NO_OBJECT}))"
)
# What the evidence itself says ("billing pods log ECONNREFUSED", "the status endpoint returns 503", "the provider
# reports its incident mitigated"): a verb of evidence after its subject, with an object after it. Not after a word
# that cannot be its subject ("the logs", "to report", "we reported"), nor with a participle after it ("old logs
# removed").
_NOT_A_SUBJECT = "".join(
    rf"(?<!\b{word})"
    for word in (
        "the", "a", "an", "to", "will", "would", "can", "could", "should", "must", "may", "might", "did", "does", "do",
        "not", "no", "please", "we", "i", "you", "they", "and", "or", "of", "in", "on", "for", "by", "from", "with",
        "its", "their", "our", "first", "second", "another",
    )
)  # fmt: skip
EVIDENCE_VERBS = ("log", "show", "return", "report", "print", "emit")  # every form below starts with one of these
EVIDENCE_SAYS = (  # from the space after the subject on: "(?=\s)" first keeps the scan cheap
    rf"(?=\s)(?<=[\w)\]'\"]){_NOT_A_SUBJECT}"
    rf"(?:(?<=s)\s+(?:{'|'.join(EVIDENCE_VERBS)})|\s+(?:logs|shows|showed|returns|returned|reports|reported|"
    r"prints|emits))"
    r"\s+(?!(?:up|in|into|on|of|for|to|from|by|at|and|or|as|back|that|are|is|were|was|have|has|had|been|be|being|"
    r"show\w*|indicat\w*|reveal\w*|(?-i:[a-z]\w*ed))\b)(?=[\w'\"\[(/<])"
)
# A change that did something ("firewall change 812 deleted the allow rule", "the migration dropped the column"): what
# the change did, a finding, never a step someone took to recover.
CHANGE_DID = (
    r"\b(?:change|deploy(?:ment)?|release|migration|commit|script|job|clean-?up|cron(?:job)?|pipeline|pr|upgrade|"
    r"update|rollout|push)\s+(?:[#\w.-]*\d[\w.-]*\s+)?(?:removed|deleted|dropped|disabled|purged|wiped|truncated|"
    r"cleared|killed|terminated|replaced|reverted)\s+(?=(?:the|a|an|all|its|their|every|some|\d)\b)"
)
# A step named only as a moment: "flat after the rollback", "blank during restarts", "since the restart".
STEP_REFERRED_TO = (
    r"\b(?:after|since|during|following|before|until)\s+(?:the|a|an|its|their|each|every|this|that)?\s*"
    r"(?:[\w.-]+\s+){0,2}?[\w.-]+"
)
# A mail, a notification or an announcement is incident communication when the same clause names the people affected
# or the incident ("emailed the affected merchants", "mail sent to customers explaining the outage", "follow-up mail
# indicating service restored", "incident update email", "customers were notified"); a campaign, a newsletter or the
# product's own mail ("welcome email", "order confirmation emails") is load or payload, whoever it reaches.
_MESSAGE = r"(?:e-?mail(?:s|ed|ing)?|mail(?:s|ed|ing)?|notifications?|announc(?:e|es|ed|ing|ements?)|messag(?:e|es|ed))"
_AUDIENCE = (
    r"(?:customers?|users?|end-users?|clients?|partners?|merchants?|tenants?|stakeholders?|owners?|teams?|heads?|"
    r"(?:affected|impacted)(?<!not affected)(?<!not impacted)(?<!never affected)(?<!never impacted))"
)
_ABOUT = (
    r"(?:incidents?|outages?|issues?|problems?|disruptions?|downtime|status|apolog\w*|post-?mortem|root cause|impact|"
    r"maintenance|restored|resolved|fixed|recovered|sev ?\d)"
)
MESSAGE_ABOUT_THE_INCIDENT = (
    rf"\b{_MESSAGE}\b[^.;]{{0,60}}?\b(?:{_AUDIENCE}|{_ABOUT})\b|"
    rf"\b(?:{_AUDIENCE}|{_ABOUT}|update)\s+(?:{_MESSAGE}|(?:were|was|have been|has been|got|are being|being)\s+"
    r"(?:e-?mailed|mailed|messaged|notified|informed|contacted|told))\b"
)
# An update that tells people how the incident stands ("status page updated", "updated the status page", "posted an
# update to customers", "merchants were kept updated"): communication, never a change to the system. "Update:" heading
# a message is news of the response to the channel: no change either, and no communication to the people affected.
_STATUS_PAGE = r"status[ -]?pages?"
_PEOPLE_TOLD = ("customers", "users", "clients", "partners", "merchants", "tenants", "stakeholders", "everyone")
_PAGES = ("status page", "statuspage", "status-page", "status")
_NEWS = ("quick", "short", "brief", "incident", "progress", "public", "customer", "final", "further", "next")
# The people end there ("updated the merchants on ..."), unlike "updated the users table".
_END_OF_PEOPLE = (
    r"(?=\s*(?:$|[^\w\s-])|\s+(?:on|about|of|with|via|by|in|at|that|and|every|hourly|regularly|again|as)\b)"
)
# "Customers updated via the status page": the people told, as a headline (not "users updated to the new SDK").
_HEADLINE_TAIL = r"(?=\s*(?:$|[^\w\s-])|\s+(?:via|on|about|by|through|with|of|at|in)\b)"
PEOPLE_UPDATED = (
    rf"\b{_STATUS_PAGE}\s+(?:(?:was|were|has been|have been)\s+)?(?:updated|updates?|post(?:s|ed)?)\b|"
    rf"\bupdat(?:(?:e|ed|es|ing)\s+(?:the\s+|our\s+|all\s+)?(?:{_STATUS_PAGE}\b|(?:{_AUDIENCE}){_END_OF_PEOPLE})|"
    rf"es?\s+(?:to|for)\s+(?:the\s+|our\s+|all\s+)?(?:{_AUDIENCE}){_END_OF_PEOPLE})|"
    r"\b(?:post(?:ed|s|ing)?|sen[dt]|sending|shar(?:e|ed|es|ing))\s+(?:an?\s+|the\s+|another\s+)?"
    rf"(?:(?:{'|'.join(_NEWS)})\s+)?updates?\b|"
    rf"\b{_AUDIENCE}\s+(?:(?:were|was|have been|has been|are being|being|kept)\s+(?:kept\s+)?updated\b|"
    rf"updated{_HEADLINE_TAIL})"
)
# Where "update" is no change: said of the people told or the status page, or heading a message.
_UPDATE_TELLS = (
    "".join(rf"(?<!\b{page} )(?<!\b{page} was )(?<!\b{page} were )" for page in _PAGES)
    + "".join(rf"(?<!\b{who} were )(?<!\b{who} was )(?<!\b{who} kept )" for who in _PEOPLE_TOLD)
    + "".join(rf"(?<!\b{word} )" for word in (*_NEWS, "an", "posted", "sent", "shared"))
    + "(?:"
    + "".join(rf"(?<!\b{who} )" for who in _PEOPLE_TOLD)
    + rf"|(?!updated{_HEADLINE_TAIL}))"
)
_UPDATE_TELLS_AFTER = (
    rf"(?!\s*:)(?!s?\s+(?:(?:to|for|on)\s+)?(?:the\s+|our\s+|all\s+)?"
    rf"(?:{_STATUS_PAGE}\b|(?:{'|'.join(_PEOPLE_TOLD)}){_END_OF_PEOPLE}))"
)
# A credential replaced: "new key issued through the secrets manager", "issued a new API token", "certificate
# re-issued". A change to the system, like a rotation.
_CREDENTIAL = r"(?:keys?|tokens?|cert(?:ificate)?s?|credentials?|secrets?|passwords?|passphrases?)"
_ISSUED = r"(?:re-?)?(?:issu(?:ed|ing)|generat(?:ed|ing)|mint(?:ed|ing))"
CREDENTIAL_REPLACED = (
    rf"\b{_CREDENTIAL}\s+(?:(?:was|were|has been|have been)\s+)?{_ISSUED}\b|"
    rf"\b{_ISSUED}\s+(?:a\s+|the\s+)?(?:new\s+|fresh\s+|replacement\s+)?(?:[\w-]+\s+){{0,2}}?{_CREDENTIAL}\b"
)
# A word joined by hyphens or underscores to others is part of a name ("push-relay", "deploy-bot",
# "notification-worker", "alert_router"), which says nothing of what the event is: no tag's word counts inside one
# (:func:`pm_agent.analysis.tagging.tags_of`). A joined word is still a word when it is a prefixed one ("re-pushed",
# "auto-rollback", "pre-commit") or a compound verb form ("crash-looping", "OOM-killed", "CPU-saturated").
JOINED_TOKEN = r"[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)+"
# ... but only a joined token that names a component is a name: its last part says what kind of component
# ("push-relay", "deploy-bot", "notification-worker", "alert_router") or a part ends in a number ("ws-gw-4", "db_2").
# "error-rate", "api-errors", "5xx-rate", "disk-full" measure the failure: their words count.
JOINED_NAME = (
    r".*\d(?:[-_].*)?|.*[-_](?:workers?|relay|bots?|services?|svc|api|gateway|gw|proxy|pipelines?|router|server|agent|jobs?|"
    r"cron|daemon|controller|operator|manager|scheduler|runner|renewer|writer|reader|indexer|consumer|producer|"
    r"broker|cluster|nodes?|pods?|db|cache|store|queue|topic|bucket|app|web|ui|frontend|backend|dashboard|tool|"
    r"script|lambda|function|cli|sdk|client|exporter|collector|bridge|hub|portal|registry|engine|platform|"
    r"sender|mailer|notifier|handler|listener|watcher|monitor|tracker|checker|sync|syncer|loader|importer)"
)
JOINED_WORD = (
    r"(?:re|pre|post|non|un|co|de|e|auto|self|mis|sub|over|under|multi|anti|semi|cross|x)-[a-z]+|"
    r"[a-z0-9]+(?:-[a-z0-9]+)*-[a-z]+(?:ed|ing)"
)
# A failover the system made by itself, told after the fact: "orders-db failed over at 03:14", "the broker failed over
# to broker-b". Not when a person is its subject ("we failed over ...") or named after it ("... by the on-call"), or
# it names what was failed over ("failed over orders-db to the replica"): those are steps.
FAILED_OVER_BY_ITSELF = (
    r"(?<![\w-])(?!(?:we|i|they|you|he|she|someone|manually|then|and|also|just|have|has|had|was|were)\b)[\w.-]+\s+"
    r"(?:(?:has|have|had)\s+)?(?:automatically\s+|auto-?)?fail(?:ed|s)[- ]?over\b"
    r"(?=\s*(?:$|[,.;:!?)\]])|\s+(?:at|to|and|but|so|on|in|after|before|during|within|around|as|while|automatically|"
    r"successfully|cleanly|itself|by itself|again)\b)"
    r"(?![^.;]*\b(?:manually|by hand|by (?:the |an? )?(?:on-?call|sre|engineer|operator|responder|team|dba|us|me)\b))"
)
# What a clean-up removes is no failure seen: "stale records cleaned up", "expired snapshots and orphaned blobs
# deleted", "removed stale DNS entries": the old things a change acted on.
_LEFTOVER = r"(?:stale|expired|old|unused|orphan\w*|dangling|obsolete|leftover|leaked|zombies?|outdated|invalid)"
_CLEAN = r"(?:clean(?:ed|s|ing)?(?: up| out)?|clear(?:ed|s|ing)?|remov(?:ed|es|ing)|delet(?:ed|es|ing)|purg(?:ed|es|ing)|prun(?:ed|es|ing)|swept|reap(?:ed|s|ing)|garbage[- ]collected|expunged)"
CLEANED_UP = (
    rf"\b{_LEFTOVER}\s+(?:(?!{_CLEAN}\b)[\w.-]+\s+){{0,4}}?(?:(?:and|or)\s+{_LEFTOVER}\s+(?:[\w.-]+\s+){{0,3}}?)?"
    rf"(?:(?:was|were|are|is|has been|have been|got|get)\s+)?{_CLEAN}\b|"
    rf"\b{_CLEAN}\s+(?:up\s+|out\s+)?(?:the\s+|all\s+|any\s+|some\s+|\d[\d,]*\s+)?{_LEFTOVER}\b"
)
# What a recovery waited on, said after it: "back under 1% as resolver caches expire", "recovered once merges caught
# up", "falling as clients get fresh tokens". Something that runs its course by itself, never a step.
WAITED_ON = (
    r"\b(?:as|once|until)\s+(?:the\s+|its\s+|their\s+|all\s+)?(?:[\w.-]+\s+){0,2}?(?:expire[sd]?|expiring|caught up|"
    r"catch(?:es)? up|catching up|drain(?:s|ed)|clear(?:s|ed)|warm(?:s|ed)? up|propagat\w*|refresh(?:es|ed)?|"
    r"get|gets|got|reconnect(?:s|ed)?|settle[sd]?|finish(?:es|ed)|complete[sd]?|time[sd]? out|timed out|"
    r"flush(?:es|ed)|rebuil[dt]s?|re-?sync(?:s|ed)?|back ?fill(?:s|ed)?)\b"
)
_AMOUNT = r"[KMGTP]i?B|bytes|rows?|records?|files?|objects?|documents?"
# A secret leaked is exposed, not a resource growing: "the deploy token was leaked", "keys leaked".
_NOT_A_SECRET = "".join(
    rf"(?<!\b{secret}{verb} )"
    for secret in ("token", "key", "secret", "credential", "password", "data")
    for verb in ("", "s", " was", "s were", " has been", "s have been", " got", "s got")
)
_GONE = r"removed|deleted|lost|wiped|dropped|purged|erased|truncated"

# A step left to be done: "to be reproduced", "to be rebuilt"; not "appeared to be stalled", "thought to be caused".
TO_BE_DONE = (
    r"(?<!seems )(?<!seemed )(?<!appears )(?<!appeared )(?<!happened )(?<!thought )(?<!believed )(?<!assumed )"
    r"(?<!found )(?<!known )(?<!said )(?<!reported )(?<!proved )(?<!out )"
    r"to be (?!(?:expected|used|needed|required|involved|related|concerned|supposed|located|based|caused|affected)\b)"
    r"(?:[a-z-]+ed|done|built|rebuilt|rewritten|written|run|re-?run|sent|set up|taken|made|kept)\b"
)


# What may follow a trend word that has no object: where it goes, since when, how fast ("rising since 09:00", "growing
# by 2 GB per hour", "dropping steadily").
_TREND_AFTER = (
    r"since|from|to|by|at|over|for|steadily|slowly|gradually|linearly|fast|quickly|sharply|again|each|every|per|in|on|"
    r"across|with|and|as|while|until|after|past|beyond|toward|towards|up|\d[\d,.]*"
)
# A trend stated with its pace or its start, so it was there before anyone saw the failure: "grows steadily since
# v5.2.0", "climbing 2% a day", "growing by 2 GB per hour", "in a straight line since 2025-06-03", "for weeks", or a
# figure set against what it was "yesterday".
# A moment before now that a figure is set against: "yesterday", "last week", "an hour ago".
_PAST = r"(?:yesterday|last (?:week|month|night|run|year)|(?:an?|\d+) (?:minutes?|hours?|days?|weeks?) ago)\b"
TREND_PACE = (
    r"\b(?:steadily|slowly|gradually|linearly|in a straight line|since\s+\S|day (?:after|by|on) day|week (?:after|by|on) "
    r"week|(?:per|a|an|each|every)\s+(?:minute|hour|day|night|week|month)\b|for (?:days|weeks|months|hours|"
    rf"(?:the )?(?:past|last) |\d+\s+(?:hours|days|weeks|months))|over (?:the )?(?:past|last|several|\d+) |{_PAST})"
)


TAG_PATTERNS: dict[str, re.Pattern[str]] = {
    "symptom": _p(rf"\b(?:{FAILURE_WORDS})"),
    "alert": _p(
        r"\b(?:alert\w*|alarm\w*|paged|pager|monitor(?:ing)? (?:fired|triggered|showed)|synthetic check|"
        r"(?:canary|synthetic|health ?check|probe|smoke test|canary analysis)s? (?:\w+ )?(?:failed|fail(?:s|ing)|fired|"
        r"tripped|halted)|"
        r"automated warning|warning from|health ?check (?:fail\w*|alert\w*))"
    ),
    "report": _p(
        rf"\b(?:{OUTSIDE_PEOPLE}|support)\b[^.]{{0,60}}"
        r"\b(?:report\w*|alert\w*|notic\w*|complain\w*|informed|seeing|saw|posts?|posted|says|said|writes|wrote|"
        r"contacted|raised)\b|"
        r"\b(?:report\w*|notic\w*|informed|posts?)\b[^.]{0,40}\b(?:by|from) (?:a |an |the )?(?:customers?|users?|support)\b|"
        r"\b(?:first|second|third|another|additional) report\b|\binformed of\b|\breport(?:ed|s)? (?:of|by) (?:the )?issue\b|"
        r"\bpost on slack from\b|"
        rf"{REPORT_BY_MESSAGE}|"
        r"\b(?:team|engineers?|on-?call|someone|colleagues?|developers?|reviewers?|operators?)\b[^.]{0,40}"
        r"\bnotic(?:e|ed|es|ing)\b"
    ),
    "declaration": _p(
        r"\b(?:incident (?:was )?(?:declared|opened|raised|created|started)|declared|sev ?\d\b|sev\d ticket|"
        r"ticket raised|status ?page|incident commander|war ?room|bridge (?:opened|started)|escalat\w*|"
        r"paged (?:the )?(?:on-?call|team)|paging|manual flagging|bridge|"
        # someone given the incident ("Assigned to Kenji", "assigned as incident commander"), not a shard or a pod
        # placed on a node ("shards assigned to node-3", "letting the shards be assigned")
        r"(?<!un)assigned (?:to|as)\b(?! (?:the |a )?(?:nodes?|hosts?|servers?|instances?|workers?|shards?|partitions?|"
        r"pods?|clusters?|brokers?|zones?|ip-[\w.-]+)\b)|"
        # someone joined the response ("Priya joined the bridge"), not a table or a node ("never joined the cluster")
        r"(?<!never )(?<!not )(?<!n't )joined(?=\s*(?:$|[.,;!)])|\s+(?:the\s+|our\s+)?(?:bridge|call|channel|incident|"
        r"war ?room|zoom|meet|meeting|huddle|response|slack|#)))"
    ),
    "acknowledgement": _p(
        r"\b(?:acknowledg\w*|ack'?d|ack\b|on it\b|i'?m looking|taking a look|"
        r"pick(?:ing|ed) up (?:the )?(?:ticket|case|page|incident|[a-z]+-\d+))"  # "picking up CS-88213": taking the ticket
    ),
    "investigation": _p(
        # "debug" naming a setting ("debug logging disabled", "debug mode left on") is a change, not investigating
        r"\b(?:investigat\w*|looking (?:into|at)|look(?:ed)? (?:into|at)|diagnos\w*|troubleshoot\w*|checking|"
        # "checked the pool", "checked in the logs", never a check-in ("passengers checked in with ...")
        r"checked(?!\s+in\b(?!\s+(?:on|the|our|its|their|logs?|grafana|datadog|kibana|cloudwatch)\b))|"
        r"debug\w*\b(?!\s+(?:logg\w*|logs?|mode|level|flags?|builds?|output|settings?|symbols|endpoints?)\b)|"
        r"analys\w*|analyz\w*|asked (?:user|for)|attempted to ssh|trying to|tried to|second opinion)"
    ),
    "finding": _p(
        r"\b(?:found|findings?|discover\w*|identif\w*|turn(?:ed|s)? out|conclu\w*|realis\w*|realiz\w*|"
        r"determined|confirmed (?:that|as|the (?:cause|root cause|culprit|bug))|verified that|traced|pinpoint\w*|"
        r"root cause (?:is|was|:|identified|found)|(?:identified|found) the (?:root )?cause|culprit|correlat\w*|shows? that|"
        r"(?:logs?|metrics?|graphs?|dashboards?|traces?|data|cloudwatch|grafana|profil\w*|dumps?|audit|diffs?|plans?|"
        r"queries|query|output|stack ?traces?|heap)(?: (?:of|for|from|in|on) (?:[\w./#-]+ ){0,2}[\w./#-]+)? "
        r"(?:show\w*|indicat\w*|reveal\w*|point\w* to|confirm\w*)|"
        r"showed|revealed|spotted|oom[- ]?kill\w*|oom\b|out of memory|recalled|misconfigur\w*|mis-configur\w*|"
        r"expired|bug\b|regression|lead us onto|led us to)"
    ),
    "negative": _p(
        r"\b(?:nothing (?:out of the ordinary|unusual|abnormal|wrong)|no (?:issue|problem|cause) (?:was )?found|"
        r"assumed|ruled out|could not reproduce|couldn't reproduce|not (?:the|a) cause|red herring|false lead|"
        r"was thought to be|at the time assumed)"
    ),
    "cause_statement": _p(
        r"\b(?:caused by|caus(?:ed|ing|es)\b|due to|because|root cause (?:is|was|:)|result(?:ed|ing|s)? (?:in|from)|"
        r"as a result(?! of (?:an? |the )?(?:alerts?|alarms?|monitoring))|, so\b|which mean[st]?|meaning (?:that )?|"
        r"led to|lead to|leads to|leading to|meant (?!to\b)(?:that )?|(?:this|which|that) (?:is|was) why|triggered by|"
        r"responsible for|stemm\w* from|the reason)"
    ),
    "change": _p(
        r"\b(?:deploy\w*|releas\w*|roll(?:ed|ing)?[- ]?out|rollouts?|appl(?:y|ied|ies|ying)|push(?:ed)?(?! notifications?)|merg(?:e|ed)(?!s)|"
        r"upgrad\w*|downgrad\w*|migrat\w*|pipeline\w*|terraform|config(?:uration)? change|chang(?:e|ed|es)|"
        rf"(?=updat){_UPDATE_TELLS}updat(?:e|ed|es)\b{_UPDATE_TELLS_AFTER}|"
        r"modif\w*|replac(?:e|ed|es)|enabl(?:e|ed)|disabl(?:e|ed)|install\w*|rotat(?:e|ed|ion)|"
        r"roll-?over|rollover|scal(?:e|ed|ing) (?:up|out)|scaling|feature flag|toggl\w*|commit(?:ted)?|"
        rf"pull request|\bpr\b|{CREDENTIAL_REPLACED})"
    ),
    "mitigation": _p(
        r"\b(?:roll(?:ed|ing)? ?back|rollback|revert\w*|restart\w*|reboot\w*|fail(?:ed|ing)? ?over|"
        r"scal(?:ed|ing) (?:up|out|down)|scaling (?:up|down)|mitigat\w*|hotfix\w*|fix (?:deployed|committed|applied|"
        r"released|rolled out|pushed)|potential fix|workaround|disabl(?:ed|ing)|re-?enabl\w*|"
        rf"{DRAIN_OR_CLEAR_STEP}|"
        r"cordon\w*|block(?:ed|ing) (?:the|traffic)|rate[- ]limit\w*|reattach\w*|redeploy\w*|patch(?:ed|ing)|"
        r"purg(?:ed|ing)|flush(?:ed|ing)|terminat(?:ed|ing)|(?<!gets )(?<!get )(?<!got )(?<!were )(?<!was )(?<!been )"
        r"(?<!all )kill(?:ed|ing)|free up|"
        r"attempt\w* (?:at |to )?(?:run|restart|roll|fix|recover|restor|deploy|scal|add|remov|revert|replac|reboot|drain|"
        r"apply)\w*|(?:rollover|rollback|restart|recovery|fix|repair|deploy\w*) attempt\w*|^attempt\w* fail\w*|removed|remov(?:e|ing) the|"
        r"deleted|replacing|added (?:capacity|nodes)|scal(?:ed|ing) (?:[\w-]+ ){0,4}(?:down|to \d+)|additional nodes|new nodes? (?:started|added|is added|are added)|"
        r"marked (?:the )?\S+ (?:instance )?as unhealthy|unblock\w*|restor(?:e|ed|ing) (?:from|the)|"
        r"switched (?:back|over)|moved traffic|shifted traffic|promot(?:e|ed|ing)\b|"
        r"(?:moved|shifted|routed|rerouted|switched|drained) (?:[\w-]+ ){0,2}(?:traffic|requests|load|users)|"
        r"(?:flag|toggle) [\w./-]+ (?:enabled|disabled|turned (?:on|off))|re-?ran\b|rebuil(?:t|d|ding)\b|"
        r"(?:raised|increased|bumped|doubled|lowered|reduced) (?:the )?(?:[\w-]+ ){0,3}(?:limit|max\w*|capacity|quota|"
        r"replicas|workers|pool size|timeout|memory|cpu)\b|"
        r"\b(?:limit|max\w*|quota|timeout|ulimit|nofile)s?(?: (?:of|on|for) [\w./-]+)? (?:was |were |has been |have been )?"
        r"(?:raised|increased|bumped|doubled) to\b)"
    ),
    "failed": _p(
        r"(?:^|[.!?]\s+)failed to\b|(?<=\w )fail(?:s|ed)?\b(?! ?over)(?! as (?:expected|intended|designed))|\b(?:time(?:d|s)? ?out|refus(?:e|es|ed)\b|"
        r"did not (?:run|start|trigger|happen|complete|fire)|didn't (?:run|start|trigger|happen|complete|fire)|did(?:n't| not) (?:help|work|fix|resolve)|no effect|without success|"
        r"unsuccessful\w*|still (?:down|failing|broken|not)|not able to|unable to|could(?:n't| not)|"
        r"made (?:it|things|the \w+) worse|gets? killed|never joined)"
    ),
    "worked": _p(
        r"\b(?:successful\w*|succeed\w*|worked|works\b|finishe?s? successfully|took effect|resolved (?:the )?issue|"
        r"completed|checksum verified|"
        r"issue (?:was )?mitigated|mitigated|fixed|back to normal|recovered|restored|"
        r"(?:is|are|was|were|as|became|now|back|marked) healthy|healthy again|verified (?:that|operational)|"
        rf"went down to normal|{CONFIRMED_RESOLVED})"
    ),
    "recovery": _p(
        r"\b(?:back to (?:normal|baseline)|back (?:under|below|beneath|within)\b|recover(?:ed|ing)\b|"
        # "recovery confirmed", never recovery as a topic: "crash-recovery loop", "recovery times", "disaster recovery"
        r"(?=recovery\b)(?<!crash-)(?<!crash )(?<!disaster )(?<!panic )recovery\b(?!\s+(?:times?|mode|state|loop|point|"
        r"plan|process|procedure|script|steps?|objective|window|required|requires|needed|took|takes|options?|tools?|"
        r"efforts?|work|drills?|tests?)\b)|restored|"
        r"service restored|mitigated|"
        r"(?:verified|fully) operational|operational again|works(?: again)?\b|"
        r"(?:passing|working|responding|running|serving|loading|up|healthy|green|stable)(?: [\w-]+)? again|"
        r"working normally|normal again|"
        r"resumed|"
        # "reads from the old contacts table again": the switch back to what worked before
        r"(?:reads?|reading|writes?|writing|routes?|routing|routed|points?|pointing|serves?|serving|served) "
        r"(?:from|to|at) (?:the )?(?:old|previous|original|former)\b[^.;]{0,60}?\bagain\b|"
        r"(?:is|are|was|were|as|became|now|back) healthy|healthy again|"
        r"error rates? (?:dropped|back|returned)|latency (?:back|recovered|returned)|traffic (?:back|recovered)|"
        r"impact (?:ended|stopped)|went down to normal|resolved\b|issue (?:is )?fixed|"
        rf"{CONFIRMED_RESOLVED}|allowing traffic|"
        r"become available|became available|(?:are|is|were|was) available again|"
        r"(?:errors?|timeouts?|failures?|crashes|restarts|5xxs?|503s|504s|500s) (?:have |has )?(?:stopped|ceased|went away|"
        r"subsided|disappeared)|"
        rf"{FAILURE_CLEARED})"
    ),
    "progress": _p(rf"\b(?:draining|clearing|emptying)\b(?=(?:{_NO_OBJECT}))"),
    "ongoing": _p(r"\b(?:still|keeps?|keeping|continu(?:e|es|ed|ing)|remains?|remained|persist\w*|now)\b"),
    "resolution": _p(
        r"\b(?:resolved|incident (?:was )?closed|closed (?:the )?incident|all[- ]clear|marked as resolved|"
        r"declared resolved|post-?mortem phase)"
    ),
    "followup": _p(
        r"\b(?:we will|we'll|will be (?:done|fixed|tracked|added|changed)|follow[- ]?up (?:actions?|items?|tasks?|tickets?)|"
        r"will (?:look at|fix|add|review|investigate|change|update|remove|move|own|follow up)|"
        r"as a follow[- ]?up|action items?|"
        r"ticket (?:created|filed|opened)|issue (?:raised|created|filed|opened)|"
        # "leak to be reproduced in staging": a step the data leaves to be done, not what something seemed to be
        rf"{TO_BE_DONE}|"
        # a plan decided ("a canary stage is planned"), not a planned event ("planned maintenance") nor a tool's plan
        r"(?<!terraform )planned(?!\s+(?:outage|maintenance|downtime|work|failover|switchover|event|reboot|restart|"
        r"window)s?\b)|set (?:memory |cpu |resource )?limits|pinned|long-term solution|"
        r"permanent fix|in (?:the )?backlog)"
    ),
    "lasting_fix": _p(
        r"(?:\b(?:(?:hot)?fix(?:es)?|patch(?:es)?|revert\w*)\b(?: (?!not\b|never\b)[\w.-]+){0,5}? "
        r"(?:(?:was|is|has been|were|are|have been) )?(?:committed|merged|deployed|released|shipped|applied|pushed|rolled out)|"
        r"\b(?:committed|merged|pushed|deployed|released|shipped) (?:a |the |an )?(?:[\w.-]+ ){0,2}?"
        r"(?:(?:hot)?fix|patch|revert)\b|"
        r"\bcommit\w* to revert\b|\b(?:pr|pull request|merge request|mr)\b[^.;]{0,40}?\bmerged\b|"
        r"\blimits? (?:(?:was|were|has been|have been) )?(?:set|added|raised|increased|lowered|introduced)\b|"
        r"\b(?:set|added|introduced) (?:a |the )?(?:[\w-]+ ){0,3}limits?\b|"
        r"\b(?:pinned|pinning)\b|\bpin(?:s|ned)? (?:the )?(?:[\w-]+ ){0,2}versions?\b|"
        r"\b(?:chang|updat|set|fix|add|remov|edit|correct|revert)\w* (?:[\w.-]+ ){0,5}?(?:in|via|through) (?:the )?"
        r"(?:iac|terraform|infrastructure[- ]as[- ]code|helm chart|manifests?)\b)"
    ),
    "automatic": _p(
        r"\b(?:automatic(?:ally)?|auto-?(?:rollback|rolled back|recover\w*|heal\w*|remediat\w*)|"
        r"by (?:the |a |an )?(?:(?:daily|nightly|hourly|weekly|scheduled|deploy(?:ment)?|release|ci|cd|ci/cd) )?"
        r"(?:pipeline|controller|operator|autoscaler|scheduler|orchestrator|system|automation|bot|"
        r"job|cron|workflow))\b"
    ),
    "begun": _p(
        r"^(?:triggered|initiated|kicked off|started|began)\b|"
        r"\b(?:start(?:ed|ing)|began|begun|begins?)\s+(?:to\s+)?\w+ing\b|\b(?:in progress|underway|under way)\b|"
        r"\b(?:roll-?backs?|rollouts?|restarts?|failovers?|migrations?|pipelines?|deploy(?:ment)?s?|backfills?|jobs?|"
        r"upgrades?|rebuilds?|recovery|re-?index\w*|replacements?)(?: (?:of|for) [\w.-]+(?: [\w.-]+){0,2})?\s+"
        r"(?:was |is |has been )?(?<!re-)(?:triggered|initiated|kicked off|started|begun)\b"
    ),
    "communication": _p(
        r"\b(?:communicat\w*|notif(?:ied|y)\b|informed|reached out|responded to|"
        rf"contacted)|{PEOPLE_UPDATED}|{MESSAGE_ABOUT_THE_INCIDENT}"
    ),
    "unintended": _p(
        r"\b(?:unintend\w*|unintentional\w*|accidental(?:ly)?|unexpected(?:ly)?|inadvertent(?:ly)?|by mistake|"
        r"without (?:review|testing|approval)|not (?:tested|reviewed)|by accident)"
    ),
    "blocked": _p(
        r"\b(?:delayed|blocked|state lock|locked|prevented|waiting (?:for|on)|held up|"
        r"(?:not able to|unable to|could not|couldn't|cannot|can't) (?:roll\w*|revert|restart|redeploy|deploy|apply|"
        r"reconfigure|scale|fail over|recover|restore|access|reach|log ?in|ssh|connect to|update|remove|delete))"
    ),
    "manual": _p(r"\b(?:manual(?:ly)?|by hand|forcefully|force[- ]?(?:drained|cleared|killed|deleted))"),
    "retry": _p(
        r"\b(?:re-?trigger\w*|re-?run|re-?queued|second attempt|2nd attempt|another attempt|re-?attempt\w*|"
        r"retr(?:y|ied|ying) (?:the )?(?:deploy\w*|pipeline|job|rollout|migration|rollback|restart|build|apply|run|"
        r"failover|fix|upgrade))"
    ),
    "repeat": _p(
        r"\b(?:occurr?ence|(?:happened|occurr?ed|failed|fired|entered|went down|crashed|broke) again|recurr\w*|"
        r"same (?:issue|problem|error)|second time|"
        r"(?:second|third|fourth|fifth|sixth|seventh|another) (?:occurr?ence|report|time)|similar (?:incident|issue))"
    ),
    "gap": _p(
        r"\b(?:not covered by|untested|no (?:alert|alerting|test|tests|runbook|monitoring|check|validation|canary|"
        r"dashboard|documentation|staging)s?\b|missing (?:alert|test|runbook|monitoring|check|validation)s?|"
        r"(?:was|were)n'?t caught|(?:was|were) not caught|without (?:a |any )?(?:test|review|validation|canary)s?|"
        r"not (?:seen|noticed) (?:until|by)|"
        r"(?:did not|didn't|does not|doesn't|do not|don't) (?:cover|catch|test|check|detect|alert on|validate)|"
        r"only (?:cover|covers|covered|test|tests|tested|check|checks|checked)\b|"
        r"no [\w-]+ (?:scan|scanning|check|test|gate|review|alert|alerting|monitoring|validation|limit|runbook)s?\b|"
        r"\bno (?:[\w-]+ )?(?:circuit[- ]breaker|fallback|backoff|eviction|failover|retry (?:limit|budget))s?\b"
        rf"{NOT_A_SAFEGUARD}|"
        r"nothing (?:checks|alerts|monitors|tests|validates|watches)|"
        rf"{SILENT_FAILURE}|"
        r"(?:is|are|was|were) (?:not|never) (?:covered|tested|monitored|alerted on|validated|reviewed|rehearsed)|"
        r"(?:validat|check|test|cover|monitor|scan)\w*\b[^.;]{0,80}? but not\b)"
    ),
    "noise": _p(
        r"\b(?:noisy|flapping|flap\w*|false (?:positive|alarm)s?|alert fatigue|(?<!to be )ignored|unclear alert\w*|"
        r"too many alerts|"
        r"alert storm)"
    ),
    "failover": _p(
        r"\b(?:fail(?:ed|ing)? ?over|failover|promot(?:e|ed|ing)\b|switched over to (?:the )?(?:standby|replica|secondary))"
    ),
    "growth": _p(
        rf"\b(?:grow(?:s|ing|n)|climb(?:s|ing|ed)|creep(?:s|ing)|crept|fill(?:s|ing|ed)(?: up)?|(?=leak){_NOT_A_SECRET}leak(?:s|ing|ed))\b"
    ),
    # A measure moving one way, said without an object ("memory usage rising", "success ratio dropping since 09:00",
    # "replica lag creeping up"), never a step that moves something ("increasing the pool size", "dropping requests")
    # nor a fallback ("falls back to polling"), nor a noun ("a spike in declines", "packet drops").
    "trend": _p(
        r"\b(?:ris(?:es|ing)|rose|increasing|climb(?:s|ing|ed)|grow(?:s|ing)|creep(?:s|ing)(?: up)?|"
        r"trend(?:s|ing|ed)? (?:up|down)(?:wards?)?|fall(?:s|ing)|fell|dropping|declining|decreasing|shrink(?:s|ing)|"
        r"sinking)"
        rf"(?=\s*(?:$|[,.;:!?)\]])|\s+(?:{_TREND_AFTER})\b)"
    ),
    # A figure set against what it should be: "row count 1.2M vs 1.9M expected", "480 ms (baseline 210 ms)", "40% below
    # forecast", "3x the usual".
    "deviation": _p(
        r"\b(?:vs\.?|versus|compared (?:to|with))\s+(?:an?\s+|the\s+)?[\d~][^;]{0,24}?\b(?:expected|normal|usual|"
        r"baseline|typical|forecast)\b|\((?:the\s+)?(?:baseline|normal|usual|expected|typical)\b[^)]{0,12}\d|"
        r"\b(?:above|below|under|over|fewer than|more than|less than|short of)\s+(?:the\s+|its\s+)?(?:expected|normal|"
        r"usual|baseline|typical|forecast)\b|"
        r"\b(?:fewer|more|less|lower|higher)\s+(?:[\w-]+\s+){0,2}?than\s+(?:the\s+)?(?:expected|normal|usual|baseline|"
        r"typical|forecast|last (?:week|month|night|run|year)|yesterday|before)\b|"
        r"\b\d[\d.,]*\s*(?:x|times|%)\s+(?:above |below |over |under )?(?:the\s+)?(?:normal|usual|baseline|typical|expected)\b|"
        # what it was before: "1.9 million rows, it had 6.1 million yesterday", "was 40 ms last week"
        rf"\b(?:had|was|were)\s+(?:about\s+|around\s+)?\d[\d,.]*[^.;]{{0,30}}?\b{_PAST}"
    ),
    "gate_caught": _p(
        r"\b(?:canary|canary analysis|smoke tests?|pre-?deploy checks?|release gate)\b[^.;]{0,60}?"
        r"\b(?:failed|halted|blocked|stopped|rolled back)|"
        r"\b(?:rollout|deploy\w*|release) (?:was )?(?:halted|paused|stopped|blocked|rolled back) automatically|"
        r"\brolled back automatically|\bauto-?rollback"
    ),
    "handover": _p(r"\b(?:hand-?overs?|handed over|hand(?:ed)? off|handoff)"),
    "data_loss": _p(
        rf"\b\d[\d,.]*\s*(?:{_AMOUNT})\b[^.;]{{0,30}}?\b(?:{_GONE})\b|\b(?:{_GONE})\b[^.;]{{0,20}}?\b\d[\d,.]*\s*(?:{_AMOUNT})\b"
    ),
    "tentative": _p(r"\b(?:potential|suspect\w*|likely|possibl\w*|might|may have|seems?|appears?|probabl\w*|assumed)"),
    "dismissed": _p(
        r"\b(?:put down to|written off as|chalked up to|dismissed|(?<!to be )ignored|brushed off|"
        r"no (?:ticket|issue|bug|follow-?up)(?: was)? (?:filed|opened|raised|created)|not (?:investigated|followed up)|"
        r"(?:thought|assumed|considered|treated|taken) (?:to be |as )?(?:normal|harmless|benign|noise|expected|a blip))"
    ),
    "worsened": _p(
        r"\b(?:made (?:it|things|matters|the [\w-]+) worse|worsen\w*|piled (?:on|onto|up on)|cascad\w*|knock-on|"
        r"snowball\w*|amplif\w*|spread to)"
    ),
    "limit_reached": _p(
        r"\b(?:(?:hit|reached|exceeded|at|over|above) (?:the|its|their|a) (?:[\w-]+ ){0,2}(?:limit|cap|ceiling|quota|maximum)|"
        r"ulimit|(?:max(?:imum)?|limit|cap|quota) (?:is|was|of) \d|ran out of|running (?:so )?low on|"
        r"maxed out|(?:is|was|are|were) full\b)"
    ),
}

# A symptom word right after one of these is not a symptom: "no data lost", "not down", "without errors".
NEGATED = _p(r"\b(?:no|not|without|never|zero|nothing)\s+(?:[\w-]+\s+){0,2}$")
# Where the data says the failure reached nobody: "no data lost", "the live database was never affected", "a near miss".
NO_IMPACT = _p(
    r"\b(?:no|zero)\s+(?:data|records?|orders?|customers?|users?|user|customer)(?:[- ]facing)?\s+"
    r"(?:(?:was|were)\s+)?(?:lost|loss|impact\w*|affected|harm\w*)|"
    r"\bno (?:user|customer)[- ]?(?:facing )?impact\b|\bnear[- ]miss\b|"
    r"\b(?:was|were|is|are) never (?:affected|impacted|at risk)\b|\b(?:stayed|remained) healthy\b"
)
# Where a finding dates the failure's start to an event in its own words: "failing since 2025-05-12, when the service
# account password was rotated", "errors after the API token was rotated", "reversed since PR 812". The data gives the
# time, not the mechanism.
DATED_TO = _p(
    r"\bsince\s+[^,;.]{1,40}?,?\s+when\s+(?P<when>[^;]+?)(?=;|$|\.\s)|"
    r"\bsince\s+(?P<change>(?:PR|pull request|MR|merge request|commit|change|release|version|build)\s*#?"
    r"[\w-]*\d(?:[\w.-]*\w)?|v\d+(?:\.\d+)*)|"
    r"\b(?:after|following)\s+(?P<after>(?:the|a|an|its|their|our)\s+[^;.]{3,80}?\s+(?:was|were|had been|got)\s+"
    r"(?:rotated|changed|updated|upgraded|deployed|rolled out|removed|renamed|migrated|replaced|revoked|disabled|"
    r"enabled|deleted|moved|edited|reconfigured)\b)"
)
# A finding must state something: besides the finding word, the event says at least this many content words.
FINDING_MIN_WORDS = 3
# Where the input says outright that the failure started here, or that this change was the culprit.
START_MARK = _p(r"\((?:problem|issue|incident|impact) (?:started|began)\)|\bfirst occurr?ence\b")
CULPRIT_MARK = _p(r"\bculprit\b|\((?:problem|issue|incident|impact) (?:started|began)\)")
# Who a message tells when it tells the people affected: "status page updated", "customers informed".
AFFECTED_RE = _p(r"\b(?:customers?|users?|teams?|affected|status ?page|stakeholders?|heads?|partners?|clients?)\b")
# A message to whoever owns the component at fault ("email sent to the team owning the dev container", "owner of
# the Ingress contacted") reaches its owners, not the people the failure affected.
OWNERS_RE = _p(
    r"\b(?:teams?|owners?|people|developers?|squads?)\s+(?:owning|responsible for|(?:that|who) owns?)\b|"
    r"\bowners?\s+of\b|\bowning (?:team|squad)\b"
)
# The connectives that split a cause statement into what happened and why (``cause_statement`` says there is a why;
# these two say where it is): the reason comes after these ...
CONNECTIVE = _p(
    r"\b(?:caused by|due to|because(?: of)?|as a result of|resulting from|stemm\w* from)\b|"
    r"(?:(?<=\bfailed)|(?<=\bfails)):"
)
# ... and before these ("the app retries at once, so every 503 comes back as more requests").
CONSEQUENCE = _p(
    r", so\b|\b(?:which mean[st]?|meaning(?: that)?|(?:which|and|this|that) (?:led|leads) to|"
    r"result(?:ed|s|ing) in|causing)\b"
)
# What a cause statement's consequence says when it gives how users were affected, not why it failed: milder than
# the worst ("late rather than not at all", "stale instead of errors") or only in part ("partially out of date").
IMPACT_FORM = _p(
    r"\b(?:rather than|instead of)\s+(?:[\w-]+\s+){0,3}?(?:not at all|never|lost|dropped|down|unavailable|failing|"
    r"failed|fail|errors?|an? (?:error|outage|empty)|none|nothing|no\b)|"
    r"\b(?:partial(?:ly)?|partly) (?:out|down|available|unavailable|affected|degraded|impacted|served|working|visible|"
    r"outage|loss)\b|\bonly (?:some|a few|a share of|part of)(?: the)? (?:users|customers|tenants|requests|regions|"
    r"pages|messages|orders|traffic)\b|"
    r"\b(?:degraded|slow\w*|late|delayed) (?:but|rather than|not) (?:not )?(?:down|lost|unavailable|failing)\b"
)
# Where an event dates the start of what it describes: "has grown ... since 2025-06-03", "began 2023-02-13 07:30",
# "rising from 3 June". Its date is matched with the day of a change (a date given without its year, in any year).
_MONTH = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|"
    r"nov(?:ember)?|dec(?:ember)?"
)
SINCE_DATE = compile_scanned(  # tried only where its first word occurs: every event of a long timeline is searched
    r"\b(?:since|began|begun|started|starting|beginning|from)\s+(?:on\s+)?(?P<date>"
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})|"
    rf"(?P<month_name>{_MONTH})\.?\s+(?P<day_of>\d{{1,2}})(?:st|nd|rd|th)?\b|"
    rf"(?P<day_before>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month_after>{_MONTH})\b)",
    re.IGNORECASE,
)
# Where a sentence places a failure after a step: "payment run stalled after the rollback" (what follows may name it).
AFTER_A_STEP = _p(r"\b(?:after|since|following) (?:the|a|an|our|this) ")
