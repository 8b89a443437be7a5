"""An incident given without a title is named by the first message that states the failure, never by a deploy notice
or a bot's chatter that happened to come first."""

from __future__ import annotations

import json

from pm_agent.ingest import load_incident_text
from pm_agent.service import PostmortemService


def message(ts: int, text: str, *, bot: str | None = None) -> dict:
    if bot:
        return {"type": "message", "subtype": "bot_message", "bot_id": "B01", "username": bot, "text": text, "ts": ts}
    return {"type": "message", "user": "U01", "user_profile": {"real_name": "Ana Ruiz"}, "text": text, "ts": ts}


CHANNEL = json.dumps(
    [
        message(1764748800, "Deployed ledger-api 7.2.0 to production", bot="deploy-bot"),
        message(1764748860, "Reminder: retro notes are due on Friday", bot="standup-bot"),
        message(1764749100, "anyone else seeing the ledger page hang?"),
        message(1764749160, "ledger-api is timing out for every write since a few minutes"),
        message(1764749400, "rolling back to 7.1.4"),
    ]
)


def test_a_chat_export_is_titled_by_the_first_message_that_states_the_failure():
    incident = PostmortemService().load_text(CHANNEL, name="ledger-channel.json")
    assert incident.title == "ledger-api is timing out for every write since a few minutes"


TIMELINE = """Date: 2025-12-03
09:58 deploy: pricing 3.1 rolled out to every region
10:04 looking at the pricing dashboards with the team
10:09 checkout quotes stale prices for every basket
"""


def test_a_timeline_without_a_title_is_titled_by_its_failure_not_its_first_deploy():
    assert PostmortemService().load_text(TIMELINE, name="pricing.txt").title == (
        "checkout quotes stale prices for every basket"
    )


def test_reading_alone_never_titles_an_incident_with_a_deploy_line():
    assert load_incident_text(TIMELINE, "pricing.txt").title == "looking at the pricing dashboards with the team"


def test_a_title_the_input_gives_is_kept():
    titled = "Title: Stale prices on the pricing page\n" + TIMELINE
    assert PostmortemService().load_text(titled, name="pricing.txt").title == "Stale prices on the pricing page"


def test_a_release_gate_that_stops_a_change_states_the_failure_and_looking_into_it_does_not():
    timeline = """Date: 2025-12-03
15:10 [deploy] ledger-api 7.3.0 canary started on 5% of traffic
15:22 [deploy] Canary analysis FAILED for ledger-api 7.3.0; rollout halted and canary rolled back automatically
15:25 looking into the canary failure with the ledger team
"""
    assert PostmortemService().load_text(timeline, name="canary.txt").title == (
        "Canary analysis FAILED for ledger-api 7.3.0; rollout halted and canary rolled back automatically"
    )


def test_a_long_failure_line_gives_its_first_clause_as_the_title():
    timeline = """Date: 2025-12-03
15:22 ALERT LedgerWriteErrors firing for ledger-api: write error ratio 14% over 5 minutes on every shard of the eu cluster; paging the on-call
"""
    assert PostmortemService().load_text(timeline, name="long.txt").title == (
        "ALERT LedgerWriteErrors firing for ledger-api"
    )
