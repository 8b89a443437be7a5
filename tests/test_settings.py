"""Settings from the environment: a bad value is one clear line naming the variable."""

from __future__ import annotations

import pytest
from conftest import EXAMPLE

from pm_agent.cli import main
from pm_agent.errors import ConfigError
from pm_agent.settings import Settings


def test_settings_read_pm_agent_variables(monkeypatch):
    monkeypatch.setenv("PM_AGENT_MAX_EVENTS", "12")
    monkeypatch.setenv("PM_AGENT_BACKEND", "offline")
    settings = Settings()
    assert (settings.max_events, settings.backend) == (12, "offline")


def test_an_unusable_value_is_a_config_error_naming_the_variable(monkeypatch):
    monkeypatch.setenv("PM_AGENT_MAX_ATTEMPTS", "abc")
    with pytest.raises(ConfigError) as caught:
        Settings()
    assert str(caught.value) == (
        "PM_AGENT_MAX_ATTEMPTS='abc': Input should be a valid integer, unable to parse string as an integer"
    )


def test_the_cli_reports_a_bad_setting_in_one_line(monkeypatch, capsys):
    monkeypatch.setenv("PM_AGENT_BACKEND", "gpt")
    assert main(["draft", str(EXAMPLE)]) == 2
    assert capsys.readouterr().err == (
        "pm-agent: error: PM_AGENT_BACKEND='gpt': Input should be 'auto', 'offline', 'anthropic', 'sampling' or 'fake'\n"
    )
