"""Helpers of the collaboration tests: an invitation through the service,
and the digest that shows a refused or blocked action changed nothing."""

from collaboration.services import invitation_send
from tests.helpers.catalog import catalog_digest

COLLABORATION_TABLES = (
    "collaboration_conversation",
    "collaboration_message",
    "collaboration_block",
    "collaboration_report",
)


def collaboration_digest():
    """Every row of the collaboration tables: equal digests, nothing
    changed."""
    return catalog_digest(COLLABORATION_TABLES)


def invite(sender, profile_or_researcher, **fields):
    """An invitation through the service, with a subject and message unless
    given."""
    researcher = getattr(profile_or_researcher, "researcher", profile_or_researcher)
    return invitation_send(
        sender=sender,
        researcher=researcher,
        subject=fields.pop("subject", "Working together on tests"),
        body=fields.pop("body", "Hello, shall we write a paper?"),
        **fields,
    )
