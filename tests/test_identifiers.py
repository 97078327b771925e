"""Identifier checks: each scheme valid, with a bad check digit, and the wrong length; never ignored."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from service.errors import ApiError
from service.identifiers import INPUT_PATTERNS, validate

CASES = {
    # scheme: (valid, valid canonical form, bad check digit, wrong length)
    "isin": ("ca8849037095", "CA8849037095", "CA8849037096", "CA88490370"),
    "lei": ("5493001KJTIIGC8Y1R12", "5493001KJTIIGC8Y1R12", "5493001KJTIIGC8Y1R13", "5493001KJTIIGC8Y1R"),
    "cusip": ("884903709", "884903709", "884903708", "88490370"),
    "bn": ("123456782 RC0001", "123456782", "123456783", "12345678"),
}


@pytest.mark.parametrize("scheme", sorted(CASES))
def test_check_digit_schemes(scheme: str) -> None:
    valid, canonical, bad_digit, short = CASES[scheme]
    assert validate(scheme, valid, f"items[0].{scheme}") == canonical
    for wrong, why in ((bad_digit, "check"), (short, "")):
        with pytest.raises(ApiError) as refused:
            validate(scheme, wrong, f"items[0].{scheme}")
        assert refused.value.status == 422
        assert refused.value.detail.startswith(f"items[0].{scheme}: {wrong!r} is not a valid {scheme.upper()}")
        assert why in refused.value.detail.lower()


@pytest.mark.parametrize(
    ("scheme", "valid", "canonical", "wrong"),
    [
        ("uei", "l997db4pejl8", "L997DB4PEJL8", "L997DB4PEJL"),
        ("cage", "5bda7", "5BDA7", "5BDA77"),
        ("ticker", " gib.a ", "GIB.A", "TOO-LONG-TICKER-X"),
    ],
)
def test_format_schemes(scheme: str, valid: str, canonical: str, wrong: str) -> None:
    assert validate(scheme, valid, "x") == canonical
    with pytest.raises(ApiError, match="wrong format"):
        validate(scheme, wrong, "x")


# The contract's patterns (INPUT_PATTERNS) against the checks: what a pattern admits fails, if at all, only on
# what a pattern cannot say (a check digit, ISIN's country list); what it refuses, the check refuses.
CHECK_DIGIT_ONLY = ("checksum or check digit", "parts of the number are invalid")
NEAR_MISS_CHARACTERS = "0123456789ABCDEFRCaz*@#- \t\u00a0\u0131\u212a.,_/"


def refusal(scheme: str, value: str) -> str | None:
    """Why the value is refused, None when it is not; a blank one is not given (the screening skips it)."""
    if not value.strip():
        return None
    try:
        validate(scheme, value, "x")
    except ApiError as exc:
        return exc.detail
    return None


@pytest.mark.parametrize("scheme", sorted(INPUT_PATTERNS))
@given(data=st.data())
@settings(max_examples=150, deadline=None)
def test_what_a_pattern_admits_fails_only_on_its_check_digit(scheme: str, data: st.DataObject) -> None:
    value = data.draw(st.from_regex(INPUT_PATTERNS[scheme], fullmatch=True))
    why = refusal(scheme, value)
    assert why is None or (scheme not in ("uei", "cage") and any(part in why for part in CHECK_DIGIT_ONLY)), why


@pytest.mark.parametrize("scheme", sorted(INPUT_PATTERNS))
@given(data=st.data())
@settings(max_examples=150, deadline=None)
def test_what_a_pattern_refuses_the_check_refuses(scheme: str, data: st.DataObject) -> None:
    admitted = data.draw(st.from_regex(INPUT_PATTERNS[scheme], fullmatch=True))
    # a near miss: one character of the admitted value changed, dropped or added
    at = data.draw(st.integers(0, len(admitted)))
    inserted = data.draw(st.text(NEAR_MISS_CHARACTERS, max_size=2))
    cut = data.draw(st.integers(0, 1))
    value = admitted[:at] + inserted + admitted[at + cut :]
    assume(re.fullmatch(INPUT_PATTERNS[scheme], value) is None)
    assert refusal(scheme, value) is not None, value


def test_an_lei_is_twenty_characters_whatever_its_check_digits() -> None:
    assert refusal("lei", "5493001KJTIIGC8Y1R12") is None
    short = "123456789092"  # 12 digits whose mod 97 check holds
    assert int(short) % 97 == 1
    assert "wrong length" in str(refusal("lei", short))


def test_letters_that_only_uppercase_to_ascii_are_refused() -> None:
    assert refusal("uei", "l997db4pejl8") is None
    assert refusal("uei", "\u0131997db4pejl8") is not None  # a dotless i, which upper() makes 'I'
    assert refusal("uei", "\u00a0l997 db4p-ejl8\u00a0") is None  # whitespace, even non-ASCII, is dropped
