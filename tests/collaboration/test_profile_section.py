"""The profile's "Direct collaboration" section, worded as on the reference
page, in each state of the viewer, and what it costs: a fixed number of
queries whatever the counts, none for an anonymous viewer."""

import re
from types import SimpleNamespace

import pytest
from django.test import Client

from collaboration.models import Conversation
from collaboration.services import conversation_accept
from profiles.models import Researcher
from tests.factories import (
    AuthorshipFactory,
    ResearcherFactory,
    UserFactory,
    researcher_with_works,
)
from tests.helpers.pages import page_text, profile_url

from .helpers import invite

pytestmark = pytest.mark.django_db

LEAD = "Direct collaboration Open a focused conversation when the fit is right"


def section(response) -> str:
    """The section's own text."""
    html = response.content.decode()
    match = re.search(r'<section class="card collaboration".*?</section>', html, re.S)
    assert match, "no collaboration section"
    return page_text(SimpleNamespace(content=match.group(0).encode()))


def get(client, researcher):
    response = client.get(profile_url(researcher))
    assert response.status_code == 200
    return response


def test_an_unclaimed_profile_asks_to_claim_it_first(client):
    researcher = ResearcherFactory()

    text = section(get(client, researcher))

    assert text == (
        f"{LEAD} Claim this author entity first to unlock direct invitations."
    )
    client.force_login(UserFactory())
    assert section(get(client, researcher)).endswith(
        "Claim this author entity first to unlock direct invitations."
    )


def test_logged_out_the_section_invites_to_log_in_and_come_back(client, profile):
    response = get(client, profile.researcher)

    assert section(response).startswith(f"{LEAD} Log in to send an invitation")
    assert (
        f'href="/accounts/login/?next={profile_url(profile.researcher)}%23collaboration"'
        in response.content.decode()
    )


def test_a_profile_not_open_to_collaborate_offers_nothing(client, make_profile):
    closed = make_profile(is_open_to_collaborate=False)
    client.force_login(UserFactory())

    response = get(client, closed.researcher)

    assert section(response) == (
        f"{LEAD} The owner of this profile is not taking invitations now."
    )
    assert "/invite/" not in response.content.decode()
    assert section(get(Client(), closed.researcher)) == section(response)


def test_the_owner_gets_no_form_but_their_inbox(client, profile, visitor):
    invite(visitor, profile)
    client.force_login(profile.owner)

    response = get(client, profile.researcher)

    assert section(response) == (
        f"{LEAD} You manage this profile: invitations to it arrive in your inbox. "
        "Open your inbox (1 unread)"
    )
    assert "/invite/" not in response.content.decode()
    assert 'href="/inbox/"' in response.content.decode()


def test_a_visitor_gets_the_form_with_the_works_of_both_sides(
    client, make_profile, profile, visitor
):
    theirs = AuthorshipFactory(
        researcher=profile.researcher,
        work__title="Their <i>paper</i>",
        work__publication_year=2023,
    ).work
    mine = make_profile(owner=visitor)
    my_work = AuthorshipFactory(researcher=mine.researcher, work__title="My paper").work
    client.force_login(visitor)

    response = get(client, profile.researcher)

    text = section(response)
    assert text.startswith(f"{LEAD} Invite the owner of this profile")
    html = response.content.decode()
    assert f'action="/researchers/{profile.researcher.openalex_id}/invite/"' in html
    assert f'<option value="{theirs.pk}">Their paper (2023)</option>' in html
    assert f'<option value="{my_work.pk}">My paper (2024)</option>' in html
    assert 'optgroup label="Works of Bea Owner"' in html
    assert 'optgroup label="Your works"' in html


def test_in_a_conversation_the_section_links_to_it(client, profile, visitor):
    conversation = invite(visitor, profile)
    client.force_login(visitor)

    response = get(client, profile.researcher)

    assert section(response) == (
        f"{LEAD} Your invitation is waiting for an answer. Open the conversation"
    )
    assert f'href="/inbox/{conversation.pk}/"' in response.content.decode()
    conversation_accept(conversation=conversation, user=profile.owner)
    assert "You are in a conversation with the owner" in section(
        get(client, profile.researcher)
    )


def test_a_hidden_profile_takes_no_invitation_even_from_staff(client, profile, visitor):
    Researcher.objects.filter(pk=profile.researcher.pk).update(is_hidden=True)
    client.force_login(UserFactory(is_staff=True))

    assert section(get(client, profile.researcher)) == (
        f"{LEAD} This profile is hidden from the public: it takes no invitations."
    )
    client.force_login(visitor)
    response = client.post(
        f"/researchers/{profile.researcher.openalex_id}/invite/",
        {"subject": "Hi", "body": "Hello"},
    )
    assert response.status_code == 404
    assert not Conversation.objects.exists()


def test_the_invitation_form_sends(client, profile, visitor):
    work = AuthorshipFactory(researcher=profile.researcher).work
    client.force_login(visitor)

    response = client.post(
        f"/researchers/{profile.researcher.openalex_id}/invite/",
        {"subject": "Graphs", "body": "Hello Bea", "work": str(work.pk)},
        follow=True,
    )

    assert "Your invitation is sent." in page_text(response)
    conversation = Conversation.objects.get()
    assert (conversation.subject, conversation.work) == ("Graphs", work)
    assert "Your invitation is waiting for an answer." in section(response)
    bad = client.post(
        f"/researchers/{profile.researcher.openalex_id}/invite/",
        {"subject": "Again", "body": "Hi", "work": "1 OR 1=1"},
        follow=True,
    )
    assert "Choose a work from the list, or none." in page_text(bad)


def test_a_second_invitation_is_refused_with_a_link_to_the_first(
    client, profile, visitor
):
    conversation = invite(visitor, profile)
    client.force_login(visitor)

    response = client.post(
        f"/researchers/{profile.researcher.openalex_id}/invite/",
        {"subject": "Again", "body": "Hi"},
        follow=True,
    )

    html = response.content.decode()
    assert "You already have a conversation with this profile." in page_text(response)
    assert f'<a href="/inbox/{conversation.pk}/">Open it</a>' in html
    assert Conversation.objects.count() == 1


# --- what it costs --------------------------------------------------------------


def page_queries(client, researcher, fixture, expected=None) -> int:
    client.get("/")  # the sample-data flag is cached from here on
    with fixture(expected if expected is not None else 40) as captured:
        get(client, researcher)
    return len(captured)


def collaboration_queries(captured) -> list[str]:
    return [
        query["sql"]
        for query in captured.captured_queries
        if "collaboration_" in query["sql"]
    ]


def test_the_owners_profile_costs_the_same_with_0_or_30_conversations(
    client, make_profile, django_assert_max_num_queries, django_assert_num_queries
):
    quiet = make_profile()
    busy = make_profile()
    for _ in range(30):
        conversation = invite(UserFactory(), busy)
        conversation_accept(conversation=conversation, user=busy.owner)
        invite(UserFactory(), busy)

    client.force_login(quiet.owner)
    expected = page_queries(client, quiet.researcher, django_assert_max_num_queries)
    client.force_login(busy.owner)
    page_queries(client, busy.researcher, django_assert_num_queries, expected)


def test_a_visitors_profile_costs_the_same_however_many_works_and_talks(
    client, make_profile, django_assert_max_num_queries, django_assert_num_queries
):
    small = make_profile()
    AuthorshipFactory(researcher=small.researcher)
    large = make_profile(researcher=researcher_with_works(60))
    light_visitor, heavy_visitor = UserFactory(), UserFactory()
    make_profile(owner=heavy_visitor, researcher=researcher_with_works(45))
    for _ in range(10):
        invite(heavy_visitor, make_profile())

    client.force_login(light_visitor)
    expected = page_queries(client, small.researcher, django_assert_max_num_queries)
    client.force_login(heavy_visitor)
    with django_assert_num_queries(expected):
        response = get(client, large.researcher)

    # "No particular work", then 20 of each side.
    assert response.content.decode().count("<option value=") == 1 + 20 + 20


def test_an_anonymous_viewer_costs_no_collaboration_query(
    client, profile, django_assert_max_num_queries
):
    client.get("/")
    with django_assert_max_num_queries(40) as captured:
        get(client, profile.researcher)

    assert collaboration_queries(captured) == []


def test_the_header_counts_unread_in_one_query(
    client, profile, visitor, django_assert_max_num_queries
):
    invite(visitor, profile)
    client.force_login(profile.owner)
    client.get("/")

    with django_assert_max_num_queries(40) as captured:
        response = client.get("/")

    assert (
        '<a class="account-nav__inbox" href="/inbox/">Inbox (1<span '
        'class="visually-hidden"> unread</span>)</a>'
    ) in response.content.decode()
    assert len(collaboration_queries(captured)) == 1
    client.force_login(visitor)
    assert (
        '<a class="account-nav__inbox" href="/inbox/">Inbox</a>'
        in client.get("/").content.decode()
    )
