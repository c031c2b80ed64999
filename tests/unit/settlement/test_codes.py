"""Every transfer code and account kind has its meaning, the database accepts exactly the kinds
the code opens, and the architecture document's ledger tables are the code's."""

from __future__ import annotations

import re
from pathlib import Path

from services.settlement.ledger.checks import ledger_tables
from services.settlement.ledger.domain.codes import KIND_MEANINGS, MEANINGS, AccountKind, TransferCode

MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "settlement" / "migrations"


def test_each_code_and_kind_says_what_it_means() -> None:
    assert set(MEANINGS) == set(TransferCode)
    assert set(KIND_MEANINGS) == set(AccountKind)
    assert all(meaning.strip() for meaning in MEANINGS.values())


def test_the_database_accepts_exactly_the_account_kinds_of_the_code() -> None:
    latest = ""
    for migration in sorted(MIGRATIONS.glob("*.sql")):
        found = re.findall(r"accounts_kind_check check \(kind in \(([^)]*)\)\)", migration.read_text())
        latest = found[-1] if found else latest
    assert set(re.findall(r"'([a-z_]+)'", latest)) == {k.value for k in AccountKind}


def test_the_architecture_document_shows_the_code_s_tables() -> None:
    document = ledger_tables.DOC.read_text()
    assert ledger_tables.rendered(document) == document
