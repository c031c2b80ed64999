"""Check characters of credit codes (GB 32100-2015) and CAS numbers, on real published examples."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from services.suppliers.domain.identifiers import is_valid_cas_number, is_valid_credit_code

DATA = Path(__file__).resolve().parents[3] / "deploy" / "seed" / "reference"


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the example printed in GB 32100-2015 guidance
        "91110108FE1KM2U909",
        "91310115AL7LL93D6F",
        "91320505FT2JP7NQ07",
    ],
)
def test_real_credit_codes_are_valid(code: str) -> None:
    assert is_valid_credit_code(code)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y4",  # 17 characters
        "91350100M000100I43",  # I is not in the alphabet
        "9135010AM000100Y43",  # the administrative division code must be digits
        "",
    ],
)
def test_broken_credit_codes_are_refused(code: str) -> None:
    assert not is_valid_credit_code(code)


@pytest.mark.parametrize(
    "cas", ["7732-18-5", "64-17-5", "67-64-1", "7647-01-0", "9012-36-6", "26628-22-8", "50-00-0"]
)
def test_real_cas_numbers_are_valid(cas: str) -> None:
    assert is_valid_cas_number(cas)


@pytest.mark.parametrize("cas", ["7732-18-4", "64-17-6", "7732185", "1-11-1", "00-00-0", "12345678-12-3"])
def test_broken_cas_numbers_are_refused(cas: str) -> None:
    assert not is_valid_cas_number(cas)


def test_the_reference_data_is_valid() -> None:
    with (DATA / "suppliers.csv").open() as f:
        assert all(is_valid_credit_code(row["uscc"]) for row in csv.DictReader(f))
    with (DATA / "reagents.csv").open() as f:
        assert all(is_valid_cas_number(row["cas"]) for row in csv.DictReader(f))
