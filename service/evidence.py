"""Which of a firm's evidence a procurement office sees first: the strongest documents, then its largest links."""

from __future__ import annotations

from datetime import date

from service.models import Contribution, Evidence, FirmProfile

CONFIDENCE_RANK = {"high": 3, "medium": 2}
STATUS_RANK = {"active": 4, "completed": 4, "reported": 3, "intended": 2}


def strongest_evidence(profile: FirmProfile, n: int) -> tuple[list[Evidence], list[Contribution]]:
    """The firm's n strongest documents (confidence, then status, then recency) and its n largest links."""
    ranked = sorted(
        profile.evidence,
        key=lambda e: (
            CONFIDENCE_RANK.get(e.confidence, 1),
            STATUS_RANK.get(e.status, 1),
            e.event_date or e.published_date or date.min,
        ),
        reverse=True,
    )
    return ranked[:n], profile.contributions[:n]
