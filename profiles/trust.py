"""The trust model: how far a researcher profile can be relied on, 0-100.

The score is a sum of named, capped signal contributions minus capped
penalties, kept within 0-100; an unclaimed record is further held at or below
``UNCLAIMED_SCORE_CAP`` so it never shows as Established or Trusted. Every
weight lives in ``WEIGHTS`` below and nowhere else; ``docs/trust.md`` explains
each one and works the reference researcher through to her score of 17.

Pure functions only: no database, no settings. ``profiles.services`` gathers
``TrustInputs`` for a batch of researchers and stores the ``TrustResult``.
Change a weight and bump ``MODEL_VERSION``: stored breakdowns carry it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MODEL_VERSION = "2026.1"

# Groups, in the order the breakdown lists them (as in DESIGN.md).
IDENTITY = "identity"
RECORD_QUALITY = "record quality"
FOOTPRINT = "scholarly footprint"
NETWORK = "network"
COMMUNITY = "community"
PENALTIES = "penalties"


@dataclass(frozen=True)
class Weight:
    """One signal's weight: ``points`` per unit of evidence (per work, per
    digit, or once for a yes/no signal), and the most it can contribute.
    Penalties have negative points and a negative ``cap`` (their floor)."""

    group: str
    label: str
    points: int
    cap: int


# Identity outweighs everything else together: who stands behind a record is
# what a visitor needs to know first. Record quality and footprint say the
# record is a real, consistent body of work; network and community are small
# because they are easy to borrow from others.
WEIGHTS: dict[str, Weight] = {
    "claim": Weight(IDENTITY, "Approved claim", 15, 15),
    "orcid_sign_in": Weight(IDENTITY, "ORCID sign-in matches the record", 15, 15),
    "institution_email": Weight(
        IDENTITY, "Verified e-mail at the affiliation's domain", 10, 10
    ),
    "staff_verified": Weight(IDENTITY, "Verified by staff", 20, 20),
    "public_source": Weight(RECORD_QUALITY, "Public scholarly source", 5, 5),
    "record_orcid": Weight(RECORD_QUALITY, "ORCID iD on the public record", 5, 5),
    "affiliation": Weight(RECORD_QUALITY, "Known affiliation", 5, 5),
    "works": Weight(FOOTPRINT, "Works", 1, 10),
    # Log scale: one point per decimal digit of the count (1, 10, 100, 1,000).
    # The cap is reached at 1,000 citations, so a field's citation habits or a
    # single famous paper cannot swing trust, which is about identity.
    "citations": Weight(FOOTPRINT, "Citations", 1, 4),
    "close_collaborators": Weight(NETWORK, "Close collaborators", 1, 5),
    # All or nothing, and only for close collaborators who are on average
    # Established or better (>= ``ESTABLISHED_SCORE``). Unclaimed records are
    # capped below that, so a network of imported records never earns it and
    # a score never leans on neighbours' scores that are themselves guesses.
    "collaborator_trust": Weight(NETWORK, "Close collaborators' own trust", 5, 5),
    # Followers are the cheapest signal to fake: log scale, small cap (100+).
    "followers": Weight(COMMUNITY, "Followers", 1, 3),
    "retracted_works": Weight(PENALTIES, "Retracted works", -10, -30),
    "rejected_claims": Weight(PENALTIES, "Rejected claims", -5, -15),
    "disputed_claims": Weight(PENALTIES, "Disputed claims", -10, -20),
}

# (low, high, label): the label is the band the score falls in.
BANDS: tuple[tuple[int, int, str], ...] = (
    (0, 24, "Unverified"),
    (25, 49, "Emerging"),
    (50, 74, "Established"),
    (75, 100, "Trusted"),
)
ESTABLISHED_SCORE = 50
# Until its author claims it, nobody has vouched for who stands behind a
# record, however large its footprint: it stays below Established.
UNCLAIMED_SCORE_CAP = ESTABLISHED_SCORE - 1
MAX_SCORE = 100


@dataclass(frozen=True)
class TrustInputs:
    """Everything the model looks at, for one researcher."""

    verification_level: int
    is_claimed: bool
    has_public_source: bool
    record_has_orcid: bool
    has_affiliation: bool
    works_count: int
    cited_by_count: int
    close_collaborators: int
    # Mean stored trust (0-100) of the close collaborators whose trust has been
    # computed; None when there is none.
    close_collaborator_mean_trust: float | None
    followers: int
    retracted_works: int = 0
    # Evidence the claims flow will provide; False / 0 until it exists.
    has_orcid_sign_in: bool = False
    has_verified_institution_email: bool = False
    is_staff_verified: bool = False
    rejected_claims: int = 0
    disputed_claims: int = 0


@dataclass(frozen=True)
class TrustContribution:
    """One row of the breakdown: what a signal saw and the points it gave."""

    key: str
    group: str
    label: str
    value: int
    cap: int
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "group": self.group,
            "label": self.label,
            "value": self.value,
            "cap": self.cap,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class TrustResult:
    """The score, its label, and the breakdown that explains it.

    ``total`` is the plain sum of the breakdown; ``score`` is ``total`` kept
    within 0-100 and, for an unclaimed record, at or below
    ``UNCLAIMED_SCORE_CAP``. They differ only when one of those limits bit."""

    score: int
    label: str
    total: int
    breakdown: list[TrustContribution]

    def as_json(self) -> dict[str, Any]:
        """The stored form of ``Researcher.trust_breakdown``."""
        return {
            "model_version": MODEL_VERSION,
            "score": self.score,
            "label": self.label,
            "total": self.total,
            "signals": [row.as_dict() for row in self.breakdown],
        }


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    word = singular if count == 1 else (plural or f"{singular}s")
    return f"{count:,} {word}"


def _digits(count: int) -> int:
    """Decimal digits of a positive count (0 for none): a log10 scale that
    reads plainly, 1-9 -> 1, 10-99 -> 2, 100-999 -> 3, ..."""
    return len(str(count)) if count > 0 else 0


def _flag(key: str, present: bool, yes: str, no: str) -> TrustContribution:
    weight = WEIGHTS[key]
    return TrustContribution(
        key=key,
        group=weight.group,
        label=weight.label,
        value=weight.points if present else 0,
        cap=weight.cap,
        detail=yes if present else no,
    )


def _per_unit(key: str, units: int, detail: str) -> TrustContribution:
    """``points`` per unit, capped (for penalties the cap is a floor)."""
    weight = WEIGHTS[key]
    raw = weight.points * max(units, 0)
    value = max(raw, weight.cap) if weight.points < 0 else min(raw, weight.cap)
    return TrustContribution(
        key=key,
        group=weight.group,
        label=weight.label,
        value=value,
        cap=weight.cap,
        detail=detail,
    )


def _capped_note(key: str) -> str:
    return f", capped at {WEIGHTS[key].cap}"


def _log_scale(key: str, count: int, noun: str) -> TrustContribution:
    digits = _digits(count)
    if digits == 0:
        detail = f"No {noun}s yet"
    else:
        detail = (
            f"{_plural(count, noun)}: {_plural(digits, 'digit')} × 1 point"
            f"{_capped_note(key)}"
        )
    return _per_unit(key, digits, detail)


def _collaborator_trust(inputs: TrustInputs) -> TrustContribution:
    weight = WEIGHTS["collaborator_trust"]
    mean = inputs.close_collaborator_mean_trust
    if inputs.close_collaborators == 0 or mean is None:
        detail = "No close collaborator with a computed trust score yet"
        earned = False
    else:
        earned = mean >= ESTABLISHED_SCORE
        detail = (
            f"Mean trust of close collaborators {mean:.0f}; "
            f"{weight.points} points at {ESTABLISHED_SCORE} (Established) or more"
        )
    return TrustContribution(
        key="collaborator_trust",
        group=weight.group,
        label=weight.label,
        value=weight.points if earned else 0,
        cap=weight.cap,
        detail=detail,
    )


def trust_band(*, score: int) -> tuple[int, int, str]:
    """The (low, high, label) band a score falls in; a score outside 0-100
    falls in the nearest band."""
    for low, high, label in BANDS:
        if low <= score <= high:
            return low, high, label
    return BANDS[-1] if score > MAX_SCORE else BANDS[0]


def trust_label(*, score: int) -> str:
    """The band label of a score (Unverified, Emerging, Established, Trusted)."""
    return trust_band(score=score)[2]


def trust_compute(*, inputs: TrustInputs) -> TrustResult:
    """The trust score of one researcher, with its label and breakdown.

    Pure and deterministic: the same inputs always give the same result. The
    breakdown lists every signal, contributing or not, in group order, so a
    reader sees what was looked at as well as what counted."""
    works = inputs.works_count
    close = inputs.close_collaborators
    retracted = inputs.retracted_works
    rejected = inputs.rejected_claims
    disputed = inputs.disputed_claims
    breakdown = [
        _flag(
            "claim",
            inputs.is_claimed,
            f"Claimed by its author, approved by a moderator "
            f"(Verification L{inputs.verification_level})",
            f"Not claimed yet (Verification L{inputs.verification_level})",
        ),
        _flag(
            "orcid_sign_in",
            inputs.has_orcid_sign_in,
            "The owner signed in with ORCID, and the iD is the record's",
            "No ORCID sign-in by an owner",
        ),
        _flag(
            "institution_email",
            inputs.has_verified_institution_email,
            "The owner verified an e-mail address at the affiliation's domain",
            "No verified institutional e-mail",
        ),
        _flag(
            "staff_verified",
            inputs.is_staff_verified,
            "Staff checked who stands behind this record",
            "Not verified by staff",
        ),
        _flag(
            "public_source",
            inputs.has_public_source,
            "Imported from a public scholarly source (OpenAlex, arXiv)",
            "No public source behind this record",
        ),
        _flag(
            "record_orcid",
            inputs.record_has_orcid,
            "The public record carries an ORCID iD",
            "No ORCID iD on the public record",
        ),
        _flag(
            "affiliation",
            inputs.has_affiliation,
            "The public record names an institution",
            "Affiliation not imported",
        ),
        _per_unit(
            "works",
            works,
            f"{_plural(works, 'work')} × 1 point{_capped_note('works')}"
            if works
            else "No works imported",
        ),
        _log_scale("citations", inputs.cited_by_count, "citation"),
        _per_unit(
            "close_collaborators",
            close,
            f"{_plural(close, 'close collaborator')} × 1 point"
            f"{_capped_note('close_collaborators')}"
            if close
            else "No coauthor with a tie strength at the threshold",
        ),
        _collaborator_trust(inputs),
        _log_scale("followers", inputs.followers, "follower"),
        _per_unit(
            "retracted_works",
            retracted,
            f"{_plural(retracted, 'retracted work')} × "
            f"{WEIGHTS['retracted_works'].points} points"
            f"{_capped_note('retracted_works')}"
            if retracted
            else "No retracted works",
        ),
        _per_unit(
            "rejected_claims",
            rejected,
            f"{_plural(rejected, 'rejected claim')} × "
            f"{WEIGHTS['rejected_claims'].points} points"
            f"{_capped_note('rejected_claims')}"
            if rejected
            else "No rejected claims",
        ),
        _per_unit(
            "disputed_claims",
            disputed,
            f"{_plural(disputed, 'disputed claim')} × "
            f"{WEIGHTS['disputed_claims'].points} points"
            f"{_capped_note('disputed_claims')}"
            if disputed
            else "No disputed claims",
        ),
    ]
    total = sum(row.value for row in breakdown)
    ceiling = MAX_SCORE if inputs.is_claimed else UNCLAIMED_SCORE_CAP
    score = min(max(total, 0), ceiling)
    return TrustResult(
        score=score, label=trust_label(score=score), total=total, breakdown=breakdown
    )
