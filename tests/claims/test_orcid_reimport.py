"""When a re-import changes the ORCID iD behind an L3 approval, the claim
goes back to moderators at L2: through a real snapshot load (the after-run
hook), with its event, change-log entry and trust recomputed."""

import pytest
from allauth.socialaccount.models import SocialAccount

from claims.models import Claim
from claims.services import (
    claim_approve,
    claim_submit,
    claims_orcid_changed_demote,
)
from profiles.models import (
    ProfileChange,
    Researcher,
    ResearcherOwner,
    VerificationLevel,
)
from tests.factories import ResearcherFactory, UserFactory
from tests.helpers.snapshot import AUTHORS, author_priem, write_manifest, write_part
from works.hooks import import_run_finished_handlers
from works.services import snapshot_load

pytestmark = pytest.mark.django_db

PRIEM = "A5023888391"
PRIEM_ORCID = "0000-0001-6187-6610"  # on his OpenAlex record
NEW_ORCID = "0000-0002-1825-0097"


def load_author(root, *, orcid: str, updated: str):
    author = author_priem()
    author["orcid"] = f"https://orcid.org/{orcid}" if orcid else None
    author["updated_date"] = updated
    write_part(root, AUTHORS, [author])
    write_manifest(root, "authors", {AUTHORS.removeprefix("authors/"): 1})
    return snapshot_load(path=root, progress=False, sync_trust=True)


def l3_claim_on(researcher, orcid: str) -> Claim:
    user = UserFactory()
    SocialAccount.objects.create(user=user, provider="orcid", uid=orcid)
    return claim_approve(
        claim=claim_submit(user=user, researcher=researcher),
        moderator=UserFactory(is_staff=True),
        reason="ORCID checked.",
    )


def signal(researcher, key: str) -> int:
    signals = researcher.trust_breakdown["signals"]
    return next(row["value"] for row in signals if row["key"] == key)


def test_claims_register_their_after_import_handler_after_profiles_trust():
    names = [handler.__name__ for handler in import_run_finished_handlers]
    assert names.index("import_run_trust_refresh") < names.index(
        "claims_orcid_changed_demote"
    )


def test_an_import_that_changes_the_records_orcid_sends_the_l3_claim_back(
    tmp_path,
):
    load_author(tmp_path / "first", orcid=PRIEM_ORCID, updated="2025-06-08T21:53:07")
    researcher = Researcher.objects.get(openalex_id=PRIEM)
    assert researcher.orcid == PRIEM_ORCID
    claim = l3_claim_on(researcher, PRIEM_ORCID)
    assert (claim.verification_level, claim.evidence_orcid) == (3, PRIEM_ORCID)
    changes_before = ProfileChange.objects.count()

    run = load_author(
        tmp_path / "second", orcid=NEW_ORCID, updated="2025-07-01T08:00:00"
    )

    assert run.status == "succeeded"
    researcher.refresh_from_db()
    assert researcher.orcid == NEW_ORCID
    claim.refresh_from_db()
    assert (claim.state, claim.verification_level, claim.evidence) == (
        "disputed",
        VerificationLevel.L2,
        "",
    )
    assert claim.evidence_orcid == PRIEM_ORCID  # what matched, for moderators
    event = claim.events.order_by("id").last()
    assert (event.kind, event.actor, event.from_state, event.to_state) == (
        "demoted",
        None,
        "approved",
        "disputed",
    )
    assert event.reason == "the record's ORCID changed on import"
    assert (researcher.is_claimed, researcher.verification_level) == (
        True,
        VerificationLevel.L2,
    )
    assert ResearcherOwner.objects.get().verification_level == VerificationLevel.L2
    change = ProfileChange.objects.order_by("id").last()
    assert ProfileChange.objects.count() == changes_before + 1
    assert (change.kind, change.actor_role, change.reason) == (
        "claim",
        "system",
        "the record's ORCID changed on import",
    )
    # Trust was recomputed after the demotion, in the run's own process.
    assert signal(researcher, "orcid_sign_in") == 0
    assert signal(researcher, "disputed_claims") == -10
    assert signal(researcher, "claim") == 15

    # Loading the same data again changes nothing more.
    load_author(tmp_path / "second", orcid=NEW_ORCID, updated="2025-07-01T08:00:00")
    assert claim.events.filter(kind="demoted").count() == 1


def test_an_import_that_keeps_the_orcid_leaves_the_claim_alone(tmp_path):
    load_author(tmp_path / "first", orcid=PRIEM_ORCID, updated="2025-06-08T21:53:07")
    claim = l3_claim_on(Researcher.objects.get(openalex_id=PRIEM), PRIEM_ORCID)

    load_author(tmp_path / "again", orcid=PRIEM_ORCID, updated="2025-07-01T08:00:00")

    claim.refresh_from_db()
    assert (claim.state, claim.verification_level) == ("approved", 3)


def test_an_orcid_that_disappears_counts_as_changed_and_one_query_finds_them(
    django_assert_num_queries,
):
    kept = l3_claim_on(ResearcherFactory(orcid=PRIEM_ORCID), PRIEM_ORCID)
    gone = l3_claim_on(ResearcherFactory(orcid=NEW_ORCID), NEW_ORCID)
    # An L2 approval rests on no iD: an import may change the record's at will.
    l2 = claim_approve(
        claim=claim_submit(user=UserFactory(), researcher=ResearcherFactory()),
        moderator=UserFactory(),
        reason="ok",
    )
    with django_assert_num_queries(1):
        assert claims_orcid_changed_demote(None, False) == []

    Researcher.objects.filter(pk=gone.researcher_id).update(orcid=None)
    Researcher.objects.filter(pk=l2.researcher_id).update(orcid=NEW_ORCID[:-1] + "1")

    assert claims_orcid_changed_demote(None, True) == [gone.pk]
    assert Claim.objects.get(pk=gone.pk).state == "disputed"
    assert Claim.objects.get(pk=kept.pk).state == "approved"
    assert Claim.objects.get(pk=l2.pk).state == "approved"
    assert claims_orcid_changed_demote(None, True) == []
