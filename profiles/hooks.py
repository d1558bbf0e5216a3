"""What profiles asks the apps built on it for, without importing them.

``claims`` holds the evidence behind a record's owners (an ORCID sign-in, a
verified institutional e-mail) and the claims a record drew (rejected,
disputed). The trust model reads them through the providers registered here
(``ClaimsConfig.ready``), so ``profiles`` never imports ``claims``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ClaimEvidence:
    """What the claims on one record say, as the trust model counts it."""

    has_orcid_sign_in: bool = False
    has_verified_institution_email: bool = False
    is_staff_verified: bool = False
    rejected_claims: int = 0
    disputed_claims: int = 0


NO_CLAIM_EVIDENCE = ClaimEvidence()

# ``provider(researcher_ids) -> {researcher_id: ClaimEvidence}``; ids it has
# nothing on may be left out. A bounded number of queries per call.
ClaimEvidenceProvider = Callable[[list[int]], dict[int, ClaimEvidence]]

claim_evidence_providers: list[ClaimEvidenceProvider] = []


def claim_evidence_provider_register(provider: ClaimEvidenceProvider) -> None:
    """Ask ``provider`` for the claim evidence of every batch whose trust is
    computed (once, however often an app's ``ready()`` runs)."""
    if provider not in claim_evidence_providers:
        claim_evidence_providers.append(provider)


def claim_evidence_for(researcher_ids: list[int]) -> dict[int, ClaimEvidence]:
    """The claim evidence of ``researcher_ids`` from every provider (the last
    provider wins for an id two of them answer); ids none answers are
    absent, and read as ``NO_CLAIM_EVIDENCE``."""
    evidence: dict[int, ClaimEvidence] = {}
    for provider in claim_evidence_providers:
        evidence.update(provider(researcher_ids))
    return evidence
