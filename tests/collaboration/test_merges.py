"""When OpenAlex merges two author records or two works, the conversations
about the retired one follow the survivor (collaboration's handlers on
works.hooks), and no merge breaks the one-open-conversation rule."""

import pytest

from collaboration.models import Conversation
from collaboration.services import conversation_accept
from tests.factories import (
    AuthorshipFactory,
    ResearcherFactory,
    UserFactory,
    WorkFactory,
)
from works.merges import researcher_merge, work_merge

from .helpers import invite

pytestmark = pytest.mark.django_db


def test_conversations_follow_the_surviving_record(make_profile, visitor):
    old = make_profile(openalex_id="A1000000001")
    survivor = ResearcherFactory(openalex_id="A1000000002")
    conversation = invite(visitor, old)

    researcher_merge(old_openalex_id="A1000000001", new_openalex_id="A1000000002")

    conversation.refresh_from_db()
    assert conversation.researcher == survivor
    assert conversation.recipient == old.owner  # the people stay


def test_an_initiator_open_on_both_records_keeps_both_conversations(
    make_profile, visitor
):
    old = make_profile(openalex_id="A1000000001")
    survivor = make_profile(openalex_id="A1000000002")
    on_old = invite(visitor, old)
    on_survivor = invite(visitor, survivor)
    conversation_accept(conversation=on_survivor, user=survivor.owner)
    other = invite(UserFactory(), old)

    researcher_merge(old_openalex_id="A1000000001", new_openalex_id="A1000000002")

    on_old.refresh_from_db()
    other.refresh_from_db()
    assert on_old.researcher is None  # kept, without its retired record
    assert on_old.state == "pending"
    assert other.researcher_id == survivor.researcher.pk
    assert Conversation.objects.count() == 3


def test_a_conversation_about_a_merged_work_is_about_the_survivor(profile, visitor):
    old = WorkFactory(openalex_id="W1000000001")
    AuthorshipFactory(researcher=profile.researcher, work=old)
    survivor = WorkFactory(openalex_id="W1000000002")
    conversation = invite(visitor, profile, work_id=old.pk)

    work_merge(old_openalex_id="W1000000001", new_openalex_id="W1000000002")

    conversation.refresh_from_db()
    assert conversation.work == survivor
