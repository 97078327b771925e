"""Identifier checks for what callers send: check digits with python-stdnum (ISIN, LEI, CUSIP, Business
Number), formats for UEI (12 characters) and CAGE (5). An invalid identifier is an error, never ignored.

Every identifier but a ticker is compacted the same way first: whitespace and dashes dropped anywhere, then
ASCII required and letters uppercased. INPUT_PATTERNS states what each check then accepts, short of its check
digit, as the OpenAPI contract's patterns: a query parameter refused with 422 carries it as `pattern`; a
screening item (refused one by one, in a 200 answer) as `x-pattern`, never `pattern`, which would make a whole
batch a 422."""

from __future__ import annotations

import re
from collections.abc import Callable

from stdnum import cusip, isin, lei
from stdnum.ca import bn
from stdnum.exceptions import ValidationError

from service.errors import ApiError

_SEPARATORS = re.compile(r"[\s\-]")
_UEI = re.compile(r"[A-Z0-9]{12}")
_CAGE = re.compile(r"[A-Z0-9]{5}")
_TICKER = re.compile(r"[A-Z0-9][A-Z0-9.\-]{0,14}")


def _pattern(pattern: re.Pattern[str]) -> Callable[[str], str]:
    def check(compact: str) -> str:
        if not pattern.fullmatch(compact):
            raise ValueError("wrong format")
        return compact

    return check


def _stdnum(module: object) -> Callable[[str], str]:
    def check(compact: str) -> str:
        return str(module.validate(compact))  # type: ignore[attr-defined]

    return check


def _lei(compact: str) -> str:
    """stdnum checks the mod 97 check digits at any length; ISO 17442 also fixes the length at 20."""
    if len(compact) != 20:
        raise ValueError("wrong length")
    return str(lei.validate(compact))


def _business_number(compact: str) -> str:
    """The 9-digit registration root: program accounts (RC0001, RT0001) belong to the same business."""
    return str(bn.validate(compact))[:9]


VALIDATORS: dict[str, tuple[Callable[[str], str], str]] = {
    "isin": (_stdnum(isin), "an ISIN is 12 characters: a country code, 9 alphanumerics and a check digit"),
    "lei": (_lei, "an LEI is 20 characters with an ISO 17442 (mod 97) check"),
    "cusip": (_stdnum(cusip), "a CUSIP is 9 characters with a check digit"),
    "bn": (_business_number, "a Business Number is 9 digits (with an optional program account such as RC0001)"),
    "uei": (_pattern(_UEI), "a UEI is 12 letters and digits"),
    "cage": (_pattern(_CAGE), "a CAGE code is 5 letters and digits"),
    "ticker": (_pattern(_TICKER), "a ticker is 1 to 15 letters, digits, dots or dashes"),
}


def _spaced(parts: list[tuple[str, int]], tail: str = "") -> str:
    """A pattern of `parts` (a character class, how many) with whitespace and dashes anywhere around them, or
    nothing but whitespace (a blank identifier is one not given)."""
    (first, count), *rest = parts
    repeats = [(first, count - 1), *rest]
    body = first + "".join(rf"[\s-]*{c}" if n == 1 else rf"(?:[\s-]*{c}){{{n}}}" for c, n in repeats if n)
    return rf"^(?:\s*|[\s-]*{body}{tail}[\s-]*)$"


_LETTER, _DIGIT, _ALNUM = "[A-Za-z]", "[0-9]", "[A-Za-z0-9]"
INPUT_PATTERNS: dict[str, str] = {
    "isin": _spaced([(_LETTER, 2), (_ALNUM, 9), (_DIGIT, 1)]),
    "lei": _spaced([(_ALNUM, 20)]),
    "cusip": _spaced([("[A-Za-z0-9*@#]", 8), (_DIGIT, 1)]),
    "bn": _spaced([(_DIGIT, 9)], tail=r"(?:[\s-]*[Rr][\s-]*[CcMmPpTt](?:[\s-]*[0-9]){4})?"),
    "uei": _spaced([(_ALNUM, 12)]),
    "cage": _spaced([(_ALNUM, 5)]),
}


def described(scheme: str, what: str) -> str:
    """A field's description: what it is, then its scheme's rule."""
    return f"{what}; {VALIDATORS[scheme][1]}"


def validate(scheme: str, value: str, where: str) -> str:
    """The identifier in its compact, canonical form; a 422 naming the field and the rule otherwise."""
    check, rule = VALIDATORS[scheme]
    try:
        compact = value.strip() if scheme == "ticker" else _SEPARATORS.sub("", value)
        if not compact.isascii():  # upper() would turn a few other letters into ASCII ones ('ı' into 'I')
            raise ValueError("wrong format")
        return check(compact.upper())
    except (ValidationError, ValueError) as exc:
        why = str(exc) if isinstance(exc, ValidationError) else str(exc) or "wrong format"
        raise ApiError(422, f"{where}: {value!r} is not a valid {scheme.upper()} ({why}; {rule})") from exc
