"""The industries (FinanceDatabase's GICS-style names, as `issuers.csv` carries them) of the sectors that sell to
DHS: IT services and software, engineering and construction, aerospace and defence, security and environmental
services, vehicles, transport, telecom and electronics, real estate (issue #11)."""

from __future__ import annotations

DHS_INDUSTRIES = frozenset(
    {
        "Aerospace & Defense",
        "Software",
        "IT Services",
        "Construction & Engineering",
        "Professional Services",
        "Commercial Services & Supplies",
        "Automobiles",
        "Auto Components",
        "Machinery",
        "Road & Rail",
        "Air Freight & Logistics",
        "Airlines",
        "Diversified Telecommunication Services",
        "Communications Equipment",
        "Electronic Equipment, Instruments & Components",
        "Technology Hardware, Storage & Peripherals",
        "Equity Real Estate Investment Trusts (REITs)",
        "Real Estate Management & Development",
    }
)
