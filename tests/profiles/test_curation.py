"""Owner curation: editing the profile, hiding works and the profile, the
change log and its undo, merging two owned records; and that nobody but the
owner does any of it."""

import pytest
from django.test import Client
from django.urls import reverse

from profiles import curation
from profiles.models import Follow, HiddenWork, ProfileChange, Researcher
from profiles.services import researcher_owner_add, researcher_trust_update
from profiles.visibility import authorships_shown
from tests.factories import (
    AuthorshipFactory,
    FollowFactory,
    ResearcherFactory,
    UserFactory,
    WorkFactory,
    researcher_with_works,
    verified_user,
)
from works.merges import work_merge
from works.models import Authorship, Work

pytestmark = pytest.mark.django_db


def owned(researcher=None, *, user=None, works=3):
    researcher = researcher or researcher_with_works(works)
    user = user or verified_user()
    researcher_owner_add(researcher=researcher, user=user, verification_level=2)
    return researcher, user


def logged_in(user, *, csrf=False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def profile_url(researcher, name="profiles:detail", *args):
    return reverse(name, args=[researcher.openalex_id, *args])


# --- editing ------------------------------------------------------------------


def test_the_owner_edits_the_curated_fields_and_each_change_is_logged():
    researcher, owner = owned()
    response = logged_in(owner).post(
        profile_url(researcher, "profiles:manage"),
        {
            "headline": "  Soft matter   physicist ",
            "bio": "Line one.\nLine two.",
            "affiliation_note": "Visiting at ETH until 2027",
            "is_open_to_collaborate": "",
        },
    )
    assert response.status_code == 302
    researcher.refresh_from_db()
    assert researcher.headline == "Soft matter physicist"
    assert researcher.bio == "Line one.\nLine two."
    assert researcher.affiliation_note == "Visiting at ETH until 2027"
    assert researcher.is_open_to_collaborate is False
    log = ProfileChange.objects.filter(researcher=researcher)
    assert sorted(log.values_list("field", flat=True)) == [
        "affiliation_note",
        "bio",
        "headline",
        "is_open_to_collaborate",
    ]
    assert set(log.values_list("actor_role", flat=True)) == {"owner"}
    page = Client().get(profile_url(researcher)).content.decode()
    assert "Soft matter physicist" in page
    assert "Visiting at ETH until 2027" in page
    assert "Open to collaborate" not in page


def test_an_edit_that_changes_nothing_writes_no_log_entry():
    researcher, owner = owned()
    assert curation.profile_edit(researcher=researcher, user=owner, changes={}) == []
    assert (
        curation.profile_edit(
            researcher=researcher, user=owner, changes={"headline": ""}
        )
        == []
    )
    assert not ProfileChange.objects.exists()


def test_hostile_text_is_stored_as_typed_and_shown_escaped():
    researcher, owner = owned()
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    curation.profile_edit(
        researcher=researcher,
        user=owner,
        changes={"headline": hostile, "bio": hostile},
    )
    page = Client().get(profile_url(researcher)).content.decode()
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_an_overlong_field_is_refused_with_its_reason_and_nothing_is_stored():
    researcher, owner = owned()
    with pytest.raises(curation.CurationRefused, match="at most 200"):
        curation.profile_edit(
            researcher=researcher,
            user=owner,
            changes={"headline": "x" * 201, "bio": "kept out too"},
        )
    researcher.refresh_from_db()
    assert (researcher.headline, researcher.bio) == ("", "")
    response = logged_in(owner).post(
        profile_url(researcher, "profiles:manage"), {"headline": "x" * 201}
    )
    assert response.status_code == 200
    assert "at most 200 characters" in response.content.decode()


@pytest.mark.parametrize(
    "name,args",
    [
        ("profiles:manage", []),
        ("profiles:visibility", []),
        ("profiles:owner_merge", []),
        ("profiles:work_hide", ["work"]),
        ("profiles:work_restore", ["work"]),
    ],
)
def test_only_the_owner_may_curate(name, args):
    researcher, owner = owned()
    work = Authorship.objects.filter(researcher=researcher).first().work
    url = profile_url(researcher, name, *[work.pk for _ in args])
    stranger = verified_user()
    assert logged_in(stranger).post(url, {"headline": "mine now"}).status_code == 403
    anonymous = Client().post(url, {"headline": "mine now"})
    assert anonymous.status_code == 302
    assert reverse("account_login") in anonymous["Location"]
    staff = UserFactory(is_staff=True, is_superuser=True)
    assert logged_in(staff).post(url, {"headline": "mine now"}).status_code == 403
    researcher.refresh_from_db()
    assert researcher.headline == ""
    assert not HiddenWork.objects.exists()
    assert not ProfileChange.objects.exists()


def test_a_curation_form_without_its_csrf_token_is_refused():
    researcher, owner = owned()
    client = logged_in(owner, csrf=True)
    response = client.post(
        profile_url(researcher, "profiles:manage"), {"headline": "x"}
    )
    assert response.status_code == 403
    researcher.refresh_from_db()
    assert researcher.headline == ""


# --- hidden works -------------------------------------------------------------


def test_a_hidden_work_leaves_the_profile_and_its_counts_and_stays_in_the_catalog():
    researcher, owner = owned(works=3)
    work = Work.objects.get(title="Bulk work 0002")
    researcher_trust_update(researcher_ids=[researcher.pk])
    researcher.refresh_from_db()
    assert researcher.listed_works_count == 3

    client = logged_in(owner)
    response = client.post(
        profile_url(researcher, "profiles:work_hide", work.pk),
        {"reason": "Another R. Smith wrote this"},
    )
    assert response.status_code == 302

    researcher_trust_update(researcher_ids=[researcher.pk])
    researcher.refresh_from_db()
    assert researcher.listed_works_count == 2
    page = Client().get(profile_url(researcher)).content.decode()
    assert "Bulk work 0002" not in page
    assert "2 published item(s)" in page
    assert "1 work hidden by the owner" in page
    # Still in the catalog, its author line no longer linking the profile.
    work_page = Client().get(reverse("catalog:work_by_pk", args=[work.pk]), follow=True)
    assert work_page.status_code == 200
    assert profile_url(researcher) not in work_page.content.decode()
    entry = ProfileChange.objects.get(kind=ProfileChange.Kind.WORK_HIDDEN)
    assert (entry.work, entry.reason) == (work, "Another R. Smith wrote this")


def test_hiding_a_listed_work_hides_its_other_versions_too():
    researcher, owner = owned(ResearcherFactory())
    article = WorkFactory(title="The article")
    preprint = WorkFactory(title="The preprint", canonical=article)
    AuthorshipFactory(work=preprint, researcher=researcher)
    curation.work_hide(researcher=researcher, user=owner, work=preprint)
    assert HiddenWork.objects.get().work == article
    assert not authorships_shown(Authorship.objects.filter(researcher=researcher))


def test_a_work_not_on_the_profile_cannot_be_hidden():
    researcher, owner = owned()
    with pytest.raises(curation.CurationRefused, match="not on this profile"):
        curation.work_hide(researcher=researcher, user=owner, work=WorkFactory())


def test_a_hidden_work_ties_its_author_to_nobody():
    researcher, owner = owned(ResearcherFactory())
    coauthor = ResearcherFactory()
    work = WorkFactory(author_count=2)
    AuthorshipFactory(work=work, researcher=researcher, position=0)
    AuthorshipFactory(work=work, researcher=coauthor, position=1)
    researcher_trust_update(researcher_ids=[researcher.pk, coauthor.pk])
    assert Researcher.objects.get(pk=coauthor.pk).close_collaborators_count == 1
    curation.work_hide(researcher=researcher, user=owner, work=work)
    researcher_trust_update(researcher_ids=[researcher.pk, coauthor.pk])
    counts = dict(
        Researcher.objects.filter(pk__in=[researcher.pk, coauthor.pk]).values_list(
            "pk", "close_collaborators_count"
        )
    )
    assert counts == {researcher.pk: 0, coauthor.pk: 0}


def test_a_hidden_work_stays_hidden_when_the_work_is_merged_by_openalex():
    researcher, owner = owned(ResearcherFactory())
    old = WorkFactory(openalex_id="W1000001")
    survivor = WorkFactory(openalex_id="W1000002")
    AuthorshipFactory(work=old, researcher=researcher)
    curation.work_hide(researcher=researcher, user=owner, work=old)
    work_merge(old_openalex_id="W1000001", new_openalex_id="W1000002")
    assert HiddenWork.objects.get().work == survivor


# --- the hidden profile -------------------------------------------------------


def test_a_hidden_profile_is_absent_for_everyone_but_its_owner_and_staff():
    researcher, owner = owned(ResearcherFactory(display_name="Priya Hidden"))
    coauthor = ResearcherFactory()
    work = WorkFactory(title="A shared paper")
    AuthorshipFactory(work=work, researcher=researcher, position=0)
    AuthorshipFactory(work=work, researcher=coauthor, position=1)
    curation.profile_visibility_set(researcher=researcher, user=owner, hidden=True)

    for name in ("profiles:detail", "profiles:trust", "profiles:changes"):
        assert Client().get(profile_url(researcher, name)).status_code == 404
        assert (
            logged_in(verified_user()).get(profile_url(researcher, name)).status_code
            == 404
        )
        assert logged_in(owner).get(profile_url(researcher, name)).status_code == 200
    staff = UserFactory(is_staff=True)
    page = logged_in(staff).get(profile_url(researcher)).content.decode()
    assert "hidden from the public" in page
    search = Client().get(reverse("search"), {"q": "priya hidden"})
    assert "Priya Hidden" not in search.content.decode()
    assert Client().get(reverse("home")).content.decode().count("Priya Hidden") == 0
    coauthor_page = Client().get(profile_url(coauthor)).content.decode()
    assert profile_url(researcher) not in coauthor_page

    curation.profile_visibility_set(researcher=researcher, user=owner, hidden=False)
    assert Client().get(profile_url(researcher)).status_code == 200


# --- the change log and undo --------------------------------------------------


def test_the_change_log_is_public_and_names_nobody():
    researcher, owner = owned()
    owner.email = "owner-secret@example.org"
    owner.save()
    curation.profile_edit(researcher=researcher, user=owner, changes={"bio": "Hi"})
    page = Client().get(profile_url(researcher, "profiles:changes")).content.decode()
    assert "The owner edited the bio." in page
    assert "owner-secret" not in page
    assert "Undo" not in page


def test_undo_restores_a_hidden_work_and_is_logged():
    researcher, owner = owned(works=2)
    work = Work.objects.get(title="Bulk work 0001")
    entry = curation.work_hide(researcher=researcher, user=owner, work=work)
    client = logged_in(owner)
    log = client.get(profile_url(researcher, "profiles:changes")).content.decode()
    assert "Undo" in log
    response = client.post(profile_url(researcher, "profiles:change_undo", entry.pk))
    assert response.status_code == 302
    assert not HiddenWork.objects.exists()
    undo = ProfileChange.objects.get(undoes=entry)
    assert undo.kind == ProfileChange.Kind.WORK_RESTORED
    with pytest.raises(curation.CurationRefused, match="already been undone"):
        curation.profile_change_undo(change=entry, user=owner)
    assert "Bulk work 0001" in Client().get(profile_url(researcher)).content.decode()


def test_undo_of_a_field_edit_restores_the_old_value_only_while_it_is_the_latest():
    researcher, owner = owned()
    [first] = curation.profile_edit(
        researcher=researcher, user=owner, changes={"headline": "First"}
    )
    [second] = curation.profile_edit(
        researcher=researcher, user=owner, changes={"headline": "Second"}
    )
    with pytest.raises(curation.CurationRefused, match="undo the later change first"):
        curation.profile_change_undo(change=first, user=owner)
    curation.profile_change_undo(change=second, user=owner)
    researcher.refresh_from_db()
    assert researcher.headline == "First"


def test_nobody_undoes_another_accounts_change():
    researcher, owner = owned()
    [entry] = curation.profile_edit(
        researcher=researcher, user=owner, changes={"headline": "Mine"}
    )
    stranger = verified_user()
    url = profile_url(researcher, "profiles:change_undo", entry.pk)
    assert logged_in(stranger).post(url).status_code == 403
    # A second owner (after a merge of claims) cannot undo the first's either.
    co_owner = verified_user()
    researcher_owner_add(researcher=researcher, user=co_owner, verification_level=2)
    assert logged_in(co_owner).post(url).status_code == 403
    researcher.refresh_from_db()
    assert researcher.headline == "Mine"


def test_an_undo_of_an_entry_of_another_profile_is_not_found():
    researcher, owner = owned()
    other, _ = owned(user=owner)
    [entry] = curation.profile_edit(
        researcher=other, user=owner, changes={"headline": "Other"}
    )
    url = profile_url(researcher, "profiles:change_undo", entry.pk)
    assert logged_in(owner).post(url).status_code == 404


# --- merging two owned records ------------------------------------------------


def test_the_owner_merges_two_records_of_theirs_and_the_old_address_redirects():
    survivor, owner = owned(works=2)
    old, _ = owned(researcher_with_works(1), user=owner)
    follower = FollowFactory(researcher=old).user
    hidden = Authorship.objects.filter(researcher=old).get().work
    curation.work_hide(researcher=old, user=owner, work=hidden)
    old_url = profile_url(old)

    response = logged_in(owner).post(
        profile_url(survivor, "profiles:owner_merge"), {"old": old.openalex_id}
    )
    assert response.status_code == 302
    assert not Researcher.objects.filter(pk=old.pk).exists()
    assert Follow.objects.filter(user=follower, researcher=survivor).exists()
    assert HiddenWork.objects.get().researcher == survivor
    redirect = Client().get(old_url)
    assert (redirect.status_code, redirect["Location"]) == (301, profile_url(survivor))
    merged = ProfileChange.objects.get(kind=ProfileChange.Kind.MERGED)
    assert (merged.researcher, merged.actor, merged.actor_role) == (
        survivor,
        owner,
        "owner",
    )


def test_a_record_the_user_does_not_own_cannot_be_merged_in():
    survivor, owner = owned()
    someone_elses = ResearcherFactory()
    response = logged_in(owner).post(
        profile_url(survivor, "profiles:owner_merge"),
        {"old": someone_elses.openalex_id},
    )
    assert response.status_code == 302
    assert Researcher.objects.filter(pk=someone_elses.pk).exists()
    with pytest.raises(curation.CurationRefused, match="records you manage"):
        curation.researcher_owner_merge(
            user=owner, old=someone_elses, survivor=survivor
        )


def test_a_hidden_coauthor_leaves_the_close_collaborators_count_and_list():
    from profiles.selectors import researcher_close_collaborators

    researcher = ResearcherFactory()
    coauthor, coauthor_owner = owned(ResearcherFactory())
    work = WorkFactory(author_count=2)
    AuthorshipFactory(work=work, researcher=researcher, position=0)
    AuthorshipFactory(work=work, researcher=coauthor, position=1)
    researcher_trust_update(researcher_ids=[researcher.pk])
    assert Researcher.objects.get(pk=researcher.pk).close_collaborators_count == 1

    curation.profile_visibility_set(
        researcher=coauthor, user=coauthor_owner, hidden=True
    )
    researcher_trust_update(researcher_ids=[researcher.pk])

    assert Researcher.objects.get(pk=researcher.pk).close_collaborators_count == 0
    assert researcher_close_collaborators(researcher=researcher) == []
