"""The operator's command line answers a person's mistakes with a clear message and exit code."""

from __future__ import annotations

import pytest

from cli.main import main


@pytest.mark.parametrize("action", ["show", "replay", "discard"])
def test_a_dead_letter_action_without_an_id_says_the_id_is_needed(
    action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["dlq", action, "--service", "orders", "--dsn", "postgresql://nowhere/x"]) == 2
    assert "Missing argument 'letter_id'" in capsys.readouterr().err


def test_an_unknown_role_or_service_is_refused_with_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--role", "wizard", "--tenant", "t", "--sub", "s"]) == 2
    assert "researcher" in capsys.readouterr().err
    assert main(["dlq", "list", "--service", "billing"]) == 2
    assert "settlement" in capsys.readouterr().err


def test_a_supplier_token_needs_its_supplier(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--role", "supplier", "--tenant", "platform", "--sub", "s"]) == 2
    assert "error (supplier_id_required)" in capsys.readouterr().err


def test_an_org_unit_goes_only_on_the_tokens_it_scopes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--role", "unit_approver", "--tenant", "tsinghua", "--sub", "dean"]) == 2
    assert "error (org_unit_required)" in capsys.readouterr().err
    args = ["token", "--role", "researcher", "--tenant", "tsinghua", "--sub", "a", "--org-unit", "S-CHEM"]
    assert main(args) == 2
    assert "error (org_unit_not_allowed)" in capsys.readouterr().err
