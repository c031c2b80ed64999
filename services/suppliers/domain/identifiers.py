"""Check characters of Chinese unified social credit codes and CAS registry numbers."""

from __future__ import annotations

import re

# GB 32100-2015: 18 characters from this 31-character alphabet (no I, O, Z, S, V); the last one
# is a check character over the first 17, weighted by 3^i mod 31.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    """True for a well-formed unified social credit code whose check character is right."""
    if not _USCC_SHAPE.match(code):
        return False
    return uscc_check_character(code[:17]) == code[17]


# CAS registry numbers: NNNNNNN-NN-R; R = (sum of the other digits, each times its position
# counted from the right starting at 1) mod 10.
_CAS_SHAPE = re.compile(r"^(\d{2,7})-(\d{2})-(\d)$")


def cas_check_digit(body: str) -> int:
    return sum(int(d) * i for i, d in enumerate(reversed(body), start=1)) % 10


def is_valid_cas_number(cas: str) -> bool:
    match = _CAS_SHAPE.match(cas)
    if not match:
        return False
    body = match.group(1) + match.group(2)
    if body.lstrip("0") == "":
        return False
    return cas_check_digit(body) == int(match.group(3))
