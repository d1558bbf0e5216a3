"""Messages are plain text: a hostile subject or body is shown escaped
everywhere (inbox, conversation, admin, mail), and web addresses become
links only once the recipient accepted, never a ``javascript:`` one."""

import pytest

from collaboration.notifications import invitation_mail_send, message_mail_send
from collaboration.services import conversation_accept, message_send, report_create
from tests.factories import AuthorshipFactory, UserFactory

from .helpers import invite
from .test_admin import moderators_group

pytestmark = pytest.mark.django_db

SUBJECT = '<script>alert("subject")</script> & <b>bold</b>'
BODY = (
    "<script>alert('body')</script>\n"
    '<a href="javascript:alert(1)">click</a> javascript:alert(2)\n'
    "See https://example.org/paper?a=1&b=2 or www.example.com."
)


@pytest.fixture
def hostile(profile, visitor):
    return invite(visitor, profile, subject=SUBJECT, body=BODY)


def assert_no_raw_markup(html: str) -> None:
    assert "<script>alert" not in html
    assert "<b>bold</b>" not in html
    assert 'href="javascript:' not in html
    assert "href='javascript:" not in html


def test_the_inbox_and_the_conversation_escape_everything(client, profile, hostile):
    client.force_login(profile.owner)

    inbox = client.get("/inbox/").content.decode()
    page = client.get(f"/inbox/{hostile.pk}/").content.decode()

    for html in (inbox, page):
        assert_no_raw_markup(html)
        assert "&lt;script&gt;alert(&quot;subject&quot;)&lt;/script&gt; &amp; " in html
    assert "&lt;script&gt;alert(&#x27;body&#x27;)&lt;/script&gt;<br>" in page
    assert (
        "&lt;a href=&quot;javascript:alert(1)&quot;&gt;click&lt;/a&gt; "
        "javascript:alert(2)<br>"
    ) in page


def test_links_are_plain_text_until_the_recipient_accepts(
    client, profile, visitor, hostile
):
    client.force_login(profile.owner)
    before = client.get(f"/inbox/{hostile.pk}/").content.decode()
    assert "https://example.org/paper?a=1&amp;b=2" in before
    assert '<a href="https://example.org' not in before
    assert "Links in this invitation stay plain text until you accept it." in before

    conversation_accept(conversation=hostile, user=profile.owner)
    after = client.get(f"/inbox/{hostile.pk}/").content.decode()

    assert (
        '<a href="https://example.org/paper?a=1&amp;b=2" rel="nofollow noopener">'
        "https://example.org/paper?a=1&amp;b=2</a>"
    ) in after
    assert '<a href="http://www.example.com" rel="nofollow noopener">' in after
    assert_no_raw_markup(after)
    # The initiator's own view follows the same rule.
    client.force_login(visitor)
    assert (
        'rel="nofollow noopener"'
        in client.get(f"/inbox/{hostile.pk}/").content.decode()
    )


def test_the_admin_shows_a_reported_conversation_escaped(client, profile, hostile):
    report_create(
        conversation=hostile, reporter=profile.owner, reason="<img src=x onerror=1>"
    )
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(moderators_group())
    client.force_login(moderator)

    report_page = client.get(
        f"/admin/collaboration/report/{hostile.reports.get().pk}/change/"
    ).content.decode()
    conversation_page = client.get(
        f"/admin/collaboration/conversation/{hostile.pk}/change/"
    ).content.decode()

    for html in (report_page, conversation_page):
        assert_no_raw_markup(html)
        assert "&lt;script&gt;alert(&#x27;body&#x27;)&lt;/script&gt;" in html
    assert "<img src=x" not in report_page
    assert "&lt;img src=x onerror=1&gt;" in report_page
    assert 'href="https://example.org' not in report_page


def test_the_mail_carries_plain_text_and_no_invitation_text(
    profile, visitor, hostile, mailoutbox
):
    assert invitation_mail_send(conversation_id=hostile.pk) == 1
    conversation_accept(conversation=hostile, user=profile.owner)
    reply = message_send(
        conversation=hostile,
        sender=visitor,
        body="<script>alert('reply')</script> https://example.org",
    )
    assert message_mail_send(message_id=reply.pk) == 1

    invitation, message = mailoutbox
    # Until accepted, nothing the sender wrote reaches the mail.
    assert "alert" not in invitation.body
    assert "example.org/paper" not in invitation.body
    assert SUBJECT not in invitation.subject
    # Plain text only: no HTML part for a mail program to render.
    assert invitation.alternatives == [] and message.alternatives == []
    assert "<script>alert('reply')</script> https://example.org" in message.body
    assert "&lt;" not in message.body


def test_a_hostile_work_title_is_plain_text_in_the_select(client, profile, visitor):
    AuthorshipFactory(
        researcher=profile.researcher,
        work__title='<script>alert("t")</script>Graph <i>theory</i>',
    )
    client.force_login(visitor)

    html = client.get(
        f"/researchers/{profile.researcher.openalex_id}/"
    ).content.decode()

    assert "<script>alert" not in html
    assert ">alert(&quot;t&quot;)Graph theory (2024)</option>" in html


def test_no_group_no_admin(client, hostile, profile):
    report_create(conversation=hostile, reporter=profile.owner, reason="spam")
    client.force_login(UserFactory(is_staff=True))

    response = client.get(f"/admin/collaboration/conversation/{hostile.pk}/change/")

    assert response.status_code == 403
