"""SQL expression builders shared by the loaders: every raw column arrives as VARCHAR and is typed here.

Kept in one place so that every source parses money, dates and blanks the same way. A kind's fields are
written as a `FieldSpec` (field name -> parser or SQL), from which `fields_from` builds them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

# How a raw column becomes a field: given the column's name, the SQL that types it (`text`, `money`, ...).
Parser = Callable[[str], str]
# A kind's fields by name, in order. A parser reads the raw column of the field's own name; a string is the
# field's SQL outright (a key built of parts, a column renamed, NULL for what the format does not carry).
FieldSpec = Mapping[str, Parser | str]

ISO_DATE = "%Y-%m-%d"
US_DATES = ("%m/%d/%y", "%m/%d/%Y")  # what a spreadsheet re-save writes in the U.S.
MIN_YEAR, MAX_YEAR = 1970, 2100


def ident(column: str) -> str:
    """A quoted SQL identifier."""
    return '"' + column.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def text(column: str) -> str:
    """The trimmed value, or NULL when blank."""
    return f"NULLIF(trim({ident(column)}), '')"


def upper_text(column: str) -> str:
    return f"upper({text(column)})"


def lower_text(column: str) -> str:
    return f"lower({text(column)})"


def present(column: str) -> str:
    """TRUE when the raw value is not blank."""
    return f"({text(column)} IS NOT NULL)"


# How every source writes an amount (USAspending and the bundled files alike): an optional sign, digits, and at
# most two decimals after a '.'. A decimal comma ('1.234,56'), a thousands separator ('1,234.56'), a currency
# sign or an exponent means the file is not in that format: such an amount is refused, never guessed at.
PLAIN_DECIMAL = r"[+-]?[0-9]+(\.[0-9]{1,2})?"
_QUOTE = "'"
_PLAIN_DECIMAL_SHOWN = "digits with at most two decimals after a '.', e.g. -1234.56; no thousands separators"


def money(column: str) -> str:
    """A dollar amount exact to the cent, from a plain decimal number; NULL for anything else."""
    return (
        f"(CASE WHEN regexp_full_match({text(column)}, {literal(PLAIN_DECIMAL)}) "
        f"THEN TRY_CAST({text(column)} AS DECIMAL(18,2)) END)"
    )


def fraction(column: str) -> str:
    return f"TRY_CAST({text(column)} AS DECIMAL(7,6))"


def integer(column: str) -> str:
    return f"TRY_CAST({text(column)} AS INTEGER)"


def date(column: str, formats: Sequence[str] = (ISO_DATE,)) -> str:
    """The first format that parses wins; formats are tried in order, so list the kind's own first."""
    fmts = ", ".join(literal(f) for f in formats)
    parsed = f"CAST(try_strptime({text(column)}, [{fmts}]) AS DATE)"
    # A 2-digit year read by a 4-digit format lands in year 17 AD: treat implausible years as unparseable.
    return f"(CASE WHEN year({parsed}) BETWEEN {MIN_YEAR} AND {MAX_YEAR} THEN {parsed} END)"


def text_or(column: str, default: str) -> str:
    """The trimmed value, or `default` when blank."""
    return f"coalesce({text(column)}, {literal(default)})"


def date_text_or_blank(column: str) -> str:
    """An ISO date as text, or '' when missing: a part of a key that may be absent."""
    return f"coalesce(CAST({date(column)} AS VARCHAR), '')"


def digits_padded(column: str, width: int) -> str:
    """Codes a spreadsheet stripped of leading zeros (DUNS, ZIP) put back to their width."""
    return f"lpad({text(column)}, {width}, '0')"


def flag(blank: bool) -> Parser:
    """A yes/no column ('true', 't', '1' or 'yes' in any case is TRUE) that reads `blank` when left blank."""
    default = literal("true" if blank else "false")
    return lambda column: f"lower(coalesce({text(column)}, {default})) IN ('true', 't', '1', 'yes')"


def joined(*parts: str, separator: str = "|") -> str:
    """A key made of several parts, concatenated with `separator` between them."""
    return f" || {literal(separator)} || ".join(parts)


def none_marker(expr: str) -> str:
    """USAspending writes '-NONE-' for a missing part of a key."""
    return f"NULLIF({expr}, '-NONE-')"


def fields_from(spec: FieldSpec) -> tuple[tuple[str, str], ...]:
    """A kind's (field, SQL) pairs in the spec's order, which is the order its row hashes are computed in."""
    return tuple((name, sql if isinstance(sql, str) else sql(name)) for name, sql in spec.items())


def same_named_columns(spec: FieldSpec) -> tuple[str, ...]:
    """The raw columns the spec reads under the fields' own names: the header of the project's own formats."""
    return tuple(name for name, sql in spec.items() if not isinstance(sql, str))


# Checks: each returns (condition that quarantines the row, SQL expression giving the reason).


def check_required(column: str, what: str | None = None) -> tuple[str, str]:
    return (f"NOT {present(column)}", literal(f"missing {what or column}"))


def check_date(column: str, formats: Sequence[str] = (ISO_DATE,), required: bool = False) -> tuple[str, str]:
    bad = f"({present(column)} AND {date(column, formats)} IS NULL)"
    if required:
        bad = f"(NOT {present(column)} OR {bad})"
    reason = (
        f"CASE WHEN {present(column)} THEN {literal(f'unparseable date in {column}: ')} || {ident(column)} "
        f"ELSE {literal(f'missing {column}')} END"
    )
    return (bad, reason)


def check_money(column: str, required: bool = False) -> tuple[str, str]:
    bad = f"({present(column)} AND {money(column)} IS NULL)"
    if required:
        bad = f"(NOT {present(column)} OR {bad})"
    value = f"{literal(f'unparseable amount in {column}: ' + _QUOTE)} || {ident(column)} || {literal(_QUOTE)}"
    too_large = literal(" is too large (at most 16 digits before the '.')")
    not_plain = literal(f" is not a plain decimal number ({_PLAIN_DECIMAL_SHOWN})")
    reason = (
        f"CASE WHEN NOT {present(column)} THEN {literal(f'missing {column}')} "
        f"WHEN regexp_full_match({text(column)}, {literal(PLAIN_DECIMAL)}) THEN {value} || {too_large} "
        f"ELSE {value} || {not_plain} END"
    )
    return (bad, reason)


def check_fraction(column: str) -> tuple[str, str]:
    value = fraction(column)
    bad = f"({present(column)} AND ({value} IS NULL OR {value} < 0 OR {value} > 1))"
    return (bad, f"{literal(f'{column} must be a fraction between 0 and 1, got: ')} || {ident(column)}")


def check_in(column: str, allowed: Sequence[str], required: bool = True) -> tuple[str, str]:
    values = ", ".join(literal(v) for v in allowed)
    bad = f"({present(column)} AND lower({text(column)}) NOT IN ({values}))"
    if required:
        bad = f"(NOT {present(column)} OR {bad})"
    expected = "|".join(allowed)
    reason = (
        f"CASE WHEN {present(column)} THEN {literal(f'{column} must be one of {expected}, got: ')} "
        f"|| {ident(column)} ELSE {literal(f'missing {column}')} END"
    )
    return (bad, reason)


def check_shape(column: str, pattern: str, what: str) -> tuple[str, str]:
    """An identifier, where given, must match `pattern` (upper-cased first): `what` names the kind of identifier."""
    bad = f"({text(column)} IS NOT NULL AND NOT regexp_matches({upper_text(column)}, '{pattern}'))"
    return bad, f"'{column} is not {what}: ' || \"{column}\""


def check_known_firm(column: str) -> tuple[str, str]:
    bad = f"({present(column)} AND {text(column)} NOT IN (SELECT firm_id FROM firms))"
    return (bad, f"{literal(f'unknown firm in {column}: ')} || {ident(column)}")


def check_known_issuer(column: str) -> tuple[str, str]:
    bad = f"({present(column)} AND {lower_text(column)} NOT IN (SELECT issuer_id FROM issuers))"
    return (bad, f"{literal(f'unknown issuer in {column}: ')} || {ident(column)}")
