"""Identifier checks: each scheme valid, with a bad check digit, and the wrong length; never ignored."""

from __future__ import annotations

import pytest

from service.errors import ApiError
from service.identifiers import validate

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
