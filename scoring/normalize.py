"""Name normalisation for matching vendor records to registry aliases, as Polars expressions.

Case, accents, punctuation and legal forms (English and French) are removed so that
"Thomson Reuters Special Services, LLC" and "THOMSON REUTERS SPECIAL SERVICES LLC" compare equal.
"""

from __future__ import annotations

import unicodedata

import polars as pl

# Legal-form words dropped wherever they stand alone (after punctuation is gone).
LEGAL_FORMS: tuple[str, ...] = (
    "INC",
    "INCORPORATED",
    "CORP",
    "CORPORATION",
    "CO",
    "COMPANY",
    "LLC",
    "L L C",
    "LLP",
    "LP",
    "LTD",
    "LIMITED",
    "LTEE",
    "LIMITEE",
    "ULC",
    "PLC",
    "SA",
    "SEC",
    "S E C",
    "SENC",
    "S E N C",
    "CIE",
    "ET CIE",
    "INCORPOREE",
    "COMPAGNIE",
    # Foreign forms seen on Canadian and U.S. vendor records; short ones that are also words (AG, AS, SPA) stay.
    "GMBH",
    "AKTIENGESELLSCHAFT",
    "PTY",
    "SARL",
    "SRL",
    "KFT",
    "SDN BHD",
    "BHD",
    "LTDA",
    "PLLC",
)

_ACCENTS_FROM = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŸ"
_ACCENTS_TO = "AAAAAACEEEEIIIINOOOOOUUUUYY"


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def normalize_names(texts: list[str]) -> list[str | None]:
    """Normalise many names at once (the registry's aliases when a snapshot opens)."""
    if not texts:
        return []
    series = pl.DataFrame({"name": texts}, schema={"name": pl.String}).select(normalized_name_expr(pl.col("name")))
    return list(series.to_series())


def normalize_name(text: str | None) -> str | None:
    """The Python twin of `normalized_name_expr`, for single names (requests, tests)."""
    if text is None:
        return None
    frame = pl.DataFrame({"name": [text]}).select(normalized_name_expr(pl.col("name")))
    value = frame.item()
    return None if value is None else str(value)


def normalized_name_expr(name: pl.Expr) -> pl.Expr:
    """Upper case, accents folded, '&' as AND, punctuation to spaces, legal forms and a leading THE dropped."""
    upper = name.str.to_uppercase()
    folded = upper.str.replace_many(list(_ACCENTS_FROM), list(_ACCENTS_TO))
    # "d/b/a" and "doing business as": keep the legal name before it.
    legal = folded.str.replace(r"\s+(D/B/A|DBA|DOING BUSINESS AS)\s+.*$", "")
    # Dotted initials are one word: "U.S.A." is USA, "L.L.C." is LLC.
    legal = legal.str.replace_all(r"\b([A-Z])\.([A-Z])\.([A-Z])\b\.?", "$1$2$3").str.replace_all(
        r"\b([A-Z])\.([A-Z])\b\.?", "$1$2"
    )
    spaced = (
        legal.str.replace_all("&", " AND ")
        .str.replace_all(r"[^A-Z0-9 ]", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
    forms = "|".join(form.replace(" ", r"\s") for form in sorted(LEGAL_FORMS, key=len, reverse=True))
    # One spelling for joint ventures: "IN JOINT VENTURE", "JOINT VENTURE", "J V" are all JV.
    spaced = spaced.str.replace_all(r"\b(IN )?JOINT VENTURE\b|\bJ V\b", "JV")
    # A legal form glued to the last word by a lost space: "COUREYINC", "BLACKBERRYLIMITED".
    unglued = spaced.str.replace(r"([A-Z0-9]{5,})(INC|LTD|LIMITED|LTEE|LLC)$", "$1")
    without_forms = unglued.str.replace_all(rf"\b({forms})\b", " ")
    without_the = without_forms.str.replace(r"^\s*THE\s+", "").str.replace(r",?\s+THE\s*$", "")
    cleaned = without_the.str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(cleaned.str.len_chars() > 0).then(cleaned).otherwise(None)
