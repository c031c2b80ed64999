"""The operator's command line answers a person's mistakes with a clear message and exit code."""

from __future__ import annotations

import pytest

from cli.main import main


@pytest.mark.parametrize("action", ["show", "replay", "discard"])
def test_a_dead_letter_action_without_an_id_says_the_id_is_needed(
    action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dlq", action, "--service", "orders", "--dsn", "postgresql://nowhere/x"]) == 2
    assert f"`dlq {action}` needs the dead letter's id" in capsys.readouterr().err
