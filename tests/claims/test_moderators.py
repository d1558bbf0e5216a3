"""The Moderators group and ``manage.py create_moderator``: a moderator sees
and decides claims and reads the records, and can do nothing else."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from claims.services import claim_submit
from tests.factories import ResearcherFactory, verified_user

pytestmark = pytest.mark.django_db


def make_moderator(email: str) -> str:
    out = StringIO()
    call_command("create_moderator", email, stdout=out)
    return out.getvalue()


def test_create_moderator_makes_a_staff_account_with_just_the_moderation_rights():
    output = make_moderator("mod@example.org")

    moderator = get_user_model().objects.get(email="mod@example.org")
    assert output.startswith("Created moderator mod@example.org.")
    assert moderator.is_staff and not moderator.is_superuser
    assert moderator.has_perm("claims.change_claim")
    assert moderator.has_perm("profiles.view_researcher")
    assert not moderator.has_perm("works.change_work")
    assert not moderator.has_perm("works.add_importrun")
    assert not moderator.has_perm("auth.change_user")
    # Again: the same account, not a second one.
    assert make_moderator("MOD@example.org").startswith("Made moderator")
    assert get_user_model().objects.filter(email__iexact="mod@example.org").count() == 1


def test_a_moderator_approves_a_claim_in_the_admin(client):
    make_moderator("mod@example.org")
    moderator = get_user_model().objects.get(email="mod@example.org")
    claim = claim_submit(user=verified_user(), researcher=ResearcherFactory())
    client.force_login(moderator)

    assert client.get("/admin/claims/claim/").status_code == 200
    client.post(
        "/admin/claims/claim/",
        {
            "action": "approve_claims",
            "_selected_action": [claim.pk],
            "apply": "1",
            "reason": "Evidence checked.",
        },
    )

    claim.refresh_from_db()
    assert claim.state == "approved"
    assert client.get("/admin/works/importrun/").status_code == 403


def test_create_moderator_refuses_what_is_not_an_address():
    with pytest.raises(CommandError, match="not an e-mail address"):
        make_moderator("not-an-address")
