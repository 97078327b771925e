"""Check that the methodology tables cover every PSC/NAICS code and every real description.

Run: python scoring/methodology/check_coverage.py  (stdlib only; reads ../shared relative to the repo root).
"""

import csv
import glob
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / ".." / "shared" / "data"
REF, REAL = SHARED / "reference", SHARED / "real"

# real files: (file glob, PSC description col, NAICS description col, PSC code col, NAICS code col)
REAL_FILES: list[tuple[str, str | None, str, str | None, str | None]] = [
    ("usaspending_cbp_ice_fy2021_2026/*.csv", "Product/Service Description", "NAICS Description", None, None),
    (
        "usaspending_ice_mn_Contracts_PrimeAwardSummaries_*.csv",
        "product_or_service_code_description",
        "naics_description",
        "product_or_service_code",
        "naics_code",
    ),
    (
        "usaspending_ice_transactions_fy2013_2018_tornapart.csv",
        "product_or_service_code_description",
        "naics_description",
        "product_or_service_code",
        "naics_code",
    ),
    (
        "usaspending_ice_Contracts_Subawards_*.csv",
        None,
        "prime_award_naics_description",
        None,
        "prime_award_naics_code",
    ),
]


def rows(path: Path | str) -> Iterator[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        yield from csv.DictReader(f)


def resolver(path: str, col: str) -> tuple[dict[str, str], Callable[[str], str | None]]:
    """The rules of one prefix table and a longest-prefix lookup over them."""
    rules = {r[col]: r["category"] for r in rows(HERE / path)}

    def resolve(code: str) -> str | None:
        code = code.strip().upper()
        if "-" in code:  # NAICS range sectors 31-33, 44-45, 48-49
            lo, hi = code.split("-")
            cats = {resolve(str(x)) for x in range(int(lo), int(hi) + 1)}
            return None if None in cats else "/".join(sorted(c for c in cats if c))
        return next((rules[code[:n]] for n in range(len(code), 0, -1) if code[:n] in rules), None)

    return rules, resolve


def main() -> int:
    cats = {r["category"]: float(r["severity"]) for r in rows(HERE / "categories.csv")}
    errors = [f"bad severity {c}={s}" for c, s in cats.items() if not 0 < s <= 1]
    psc_rules, psc = resolver("psc_rules.csv", "psc_prefix")
    naics_rules, naics = resolver("naics_rules.csv", "naics_prefix")
    desc = {(r["scheme"], r["description"]): r["category"] for r in rows(HERE / "description_rules.csv")}
    tables: list[tuple[str, dict[str, str] | dict[tuple[str, str], str]]] = [
        ("psc_rules", psc_rules),
        ("naics_rules", naics_rules),
        ("description_rules", desc),
    ]
    for name, table in tables:
        errors += [f"{name}: unknown category {v} for {k}" for k, v in table.items() if v not in cats]

    psc_codes = {r["psc_code"] for r in rows(REF / "psc_gsa_2025-04.csv")}
    naics_codes = {r["naics_code"] for f in REF.glob("naics_*.csv") for r in rows(f)}
    errors += [f"PSC {c} unresolved" for c in sorted(psc_codes) if psc(c) is None]
    errors += [f"NAICS {c} unresolved" for c in sorted(naics_codes) if naics(c) is None]

    seen: dict[str, set[str]] = {"psc": set(), "naics": set()}
    codes: dict[str, set[str]] = {"psc": set(), "naics": set()}
    for pattern, pd, nd, pc, nc in REAL_FILES:
        for f in glob.glob(str(REAL / pattern)):
            for r in rows(f):
                for scheme, dcol, ccol in (("psc", pd, pc), ("naics", nd, nc)):
                    if dcol and (r.get(dcol) or "").strip():
                        seen[scheme].add(r[dcol].strip().upper())
                    if ccol and (r.get(ccol) or "").strip():
                        codes[scheme].add(r[ccol].strip())
    for scheme, texts in seen.items():
        errors += [f"{scheme} description not covered: {d}" for d in sorted(texts) if (scheme, d) not in desc]
    errors += [f"real PSC code {c} unresolved" for c in codes["psc"] if psc(c) is None]
    errors += [f"real NAICS code {c} unresolved" for c in codes["naics"] if naics(c) is None]

    print(f"categories {len(cats)}; rules: psc {len(psc_rules)}, naics {len(naics_rules)}, desc {len(desc)}")
    print(f"GSA PSC codes {len(psc_codes)}; NAICS codes (all editions) {len(naics_codes)}")
    print(
        f"real descriptions: psc {len(seen['psc'])}, naics {len(seen['naics'])}; "
        f"real codes: psc {len(codes['psc'])}, naics {len(codes['naics'])}"
    )
    print("\n".join(errors) if errors else "OK: full coverage")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
