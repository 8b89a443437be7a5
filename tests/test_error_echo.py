"""Error messages that quote the input redact what they quote: a one-line error goes to a terminal,
a log, an MCP client or a failed job on disk, and must not carry a secret there.

Secret-looking values are assembled at run time (see test_redaction.py).
"""

from __future__ import annotations

import json

import pytest

from pm_agent.cli import main
from pm_agent.errors import ConfigError, InputError, NotFoundError, echo_safe
from pm_agent.service import PostmortemService

GHP = "gh" + "p_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
AKIA = "AK" + "IA" + "FAKE0EXAMPLE0KEY"


def incident_with_time(moment: str) -> str:
    return json.dumps({"id": "INC-7", "events": [{"at": moment, "source": "chat", "text": "pool exhausted"}]})


def test_an_unreadable_timestamp_holding_a_token_is_quoted_redacted():
    with pytest.raises(InputError) as refused:
        PostmortemService().load_text(incident_with_time(f"token={GHP}"), name="inc.json")
    assert str(refused.value) == "inc.json: events[0]: unreadable timestamp 'token=[REDACTED:github-token]'"


def test_a_long_quoted_value_is_redacted_before_it_is_cut_so_no_part_of_a_secret_is_left():
    moment = f"deploy at 14:05 by the release bot with {GHP} and more words after it"
    with pytest.raises(InputError) as refused:
        PostmortemService().load_text(incident_with_time(moment), name="inc.json")
    message = str(refused.value)
    assert GHP[:12] not in message
    assert message.startswith(
        "inc.json: events[0]: unreadable timestamp 'deploy at 14:05 by the release bot with [REDA"
    )


def test_a_bad_date_option_holding_a_password_is_echoed_redacted():
    with pytest.raises(InputError) as refused:
        PostmortemService().read_options(date="password=hunter2")
    assert str(refused.value) == "--date 'password=[REDACTED:password]' is not a date like 2024-03-01"


def test_the_cli_prints_the_error_line_without_the_secret(tmp_path, capsys):
    path = tmp_path / "inc.json"
    path.write_text(incident_with_time(f"key {AKIA}"))
    assert main(["draft", str(path), "--backend", "offline"]) == 2
    err = capsys.readouterr().err
    assert AKIA not in err
    assert "unreadable timestamp 'key [REDACTED:aws-access-key]'" in err


@pytest.mark.parametrize("error", [ConfigError, NotFoundError])
def test_every_error_of_the_hierarchy_redacts_its_message(error):
    assert str(error(f"no incident {GHP!r}")) == "no incident '[REDACTED:github-token]'"


def test_an_input_error_keeps_its_detail_and_source_with_the_detail_redacted():
    error = InputError(f"bad value {AKIA}", source="inc.json")
    assert (error.detail, error.source, str(error)) == (
        "bad value [REDACTED:aws-access-key]",
        "inc.json",
        "inc.json: bad value [REDACTED:aws-access-key]",
    )


def test_a_message_without_secrets_is_left_as_written():
    message = "events[3] has no 'at' time; 14:05 on v2.14.3 at 10.0.4.17"
    assert echo_safe(message) == message
