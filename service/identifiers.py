"""Identifier checks for what callers send: check digits with python-stdnum (ISIN, LEI, CUSIP, Business
Number), formats for UEI (12 characters) and CAGE (5). An invalid identifier is an error, never ignored."""

from __future__ import annotations

import re
from collections.abc import Callable

from stdnum import cusip, isin, lei
from stdnum.ca import bn
from stdnum.exceptions import ValidationError

from service.errors import ApiError

_UEI = re.compile(r"^[A-Z0-9]{12}$")
_CAGE = re.compile(r"^[A-Z0-9]{5}$")
_TICKER = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,14}$")


def _pattern(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        compact = re.sub(r"[\s\-]", "", value).upper() if what != "ticker" else value.strip().upper()
        if not pattern.match(compact):
            raise ValueError(what)
        return compact

    return check


def _stdnum(module: object) -> Callable[[str], str]:
    def check(value: str) -> str:
        return str(module.validate(value))  # type: ignore[attr-defined]

    return check


def _business_number(value: str) -> str:
    """The 9-digit registration root: program accounts (RC0001, RT0001) belong to the same business."""
    return str(bn.validate(value))[:9]


VALIDATORS: dict[str, tuple[Callable[[str], str], str]] = {
    "isin": (_stdnum(isin), "an ISIN is 12 characters: a country code, 9 alphanumerics and a check digit"),
    "lei": (_stdnum(lei), "an LEI is 20 characters with an ISO 17442 (mod 97) check"),
    "cusip": (_stdnum(cusip), "a CUSIP is 9 characters with a check digit"),
    "bn": (_business_number, "a Business Number is 9 digits (with an optional program account such as RC0001)"),
    "uei": (_pattern(_UEI, "uei"), "a UEI is 12 letters and digits"),
    "cage": (_pattern(_CAGE, "cage"), "a CAGE code is 5 letters and digits"),
    "ticker": (_pattern(_TICKER, "ticker"), "a ticker is 1 to 15 letters, digits, dots or dashes"),
}


def validate(scheme: str, value: str, where: str) -> str:
    """The identifier in its compact, canonical form; a 422 naming the field and the rule otherwise."""
    check, rule = VALIDATORS[scheme]
    try:
        return check(value)
    except (ValidationError, ValueError) as exc:
        why = str(exc) if isinstance(exc, ValidationError) else "wrong format"
        raise ApiError(422, f"{where}: {value!r} is not a valid {scheme.upper()} ({why}; {rule})") from exc
