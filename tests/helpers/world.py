"""A small world with one row of everything the site shows or lets someone
change: a claimed researcher with works, coauthor, topic, institution and
venue, a hidden profile of the same owner, a conversation with its report,
an import run with a rejected record, tokens and social accounts; and the
five roles that look at it (anonymous, a logged-in account, the owner, a
moderator, an admin). Every text a person types or a source imports comes
from ``text(name)`` and every stored URL from ``url(name)``, so a test can
put what it likes there (tests/bzpeer/test_payload_escaping.py puts hostile
payloads)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib.auth.models import Group
from django.db import transaction
from rest_framework.authtoken.models import Token

from claims.models import Claim
from claims.moderators import MODERATORS
from collaboration.services import invitation_send, report_create
from profiles import curation
from profiles.digest import follow_digest_set, follow_digest_unsubscribe_token
from profiles.following import researcher_follow
from profiles.models import ProfileChange, ResearcherTopic
from tests.factories import (
    AuthorshipFactory,
    AuthorshipInstitutionFactory,
    ClaimFactory,
    ImportRunFactory,
    InstitutionFactory,
    ResearcherFactory,
    SourceFactory,
    TopicFactory,
    WorkFactory,
    WorkTopicFactory,
    approved_claim,
    verified_user,
)
from works.models import RejectedRecord
from works.text import normalize_name

ROLES = ("anonymous", "user", "owner", "moderator", "admin")


def plain_text(name: str) -> str:
    return f"Plain {name.replace('_', ' ')}"


def plain_url(name: str) -> str:
    return f"https://example.org/{name}"


@dataclass
class World:
    users: dict[str, object] = field(default_factory=dict)
    objects: dict[str, object] = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None


def world_build(
    *,
    text: Callable[[str], str] = plain_text,
    url: Callable[[str], str] = plain_url,
    username: Callable[[str], str] = lambda role: role,
) -> World:
    """Build the world through the services where there is one (claims,
    curation, invitations, reports, follows), with factories for what the
    sources import."""
    world = World()
    objects = world.objects

    admin = verified_user(username=username("admin"), is_staff=True)
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    moderator = verified_user(username=username("moderator"), is_staff=True)
    moderator.groups.add(Group.objects.get(name=MODERATORS))
    owner = verified_user(username=username("owner"))
    user = verified_user(username=username("user"))
    colleague = verified_user(username=username("colleague"))
    stranger = verified_user(username=username("stranger"))
    world.users = {
        "anonymous": None,
        "user": user,
        "owner": owner,
        "moderator": moderator,
        "admin": admin,
    }
    objects["colleague"] = colleague

    institution = InstitutionFactory(
        display_name=text("institution_name"), homepage_url=url("institution_homepage")
    )
    source = SourceFactory(display_name=text("source_name"))
    topic = TopicFactory(
        display_name=text("topic_name"),
        subfield_name=text("topic_subfield"),
        field_name=text("topic_field"),
        domain_name=text("topic_domain"),
    )
    researcher = ResearcherFactory(
        display_name=text("researcher_name"),
        search_name=normalize_name(text("researcher_name")),
        display_name_alternatives=[text("researcher_alternative_name")],
        orcid="0000-0002-1825-0097",
        affiliation=institution,
        works_count=2,
        cited_by_count=3,
    )
    coauthor = ResearcherFactory(
        display_name=text("coauthor_name"),
        search_name=normalize_name(text("coauthor_name")),
        affiliation=institution,
    )
    hidden = ResearcherFactory(display_name=text("hidden_researcher_name"))
    ResearcherTopic.objects.create(researcher=researcher, topic=topic, count=2)
    ResearcherTopic.objects.create(researcher=coauthor, topic=topic, count=1)

    work = WorkFactory(
        title=text("work_title"),
        abstract=text("work_abstract"),
        arxiv_id="2401.00001",
        source=source,
        landing_page_url=url("work_landing_page"),
        pdf_url=url("work_pdf"),
        cited_by_count=3,
        author_count=2,
        counts_by_year=[{"year": 2024, "cited_by_count": 3}],
    )
    other_work = WorkFactory(
        title=text("other_work_title"),
        abstract=text("other_work_abstract"),
        doi=None,
        source=source,
        landing_page_url=url("other_work_landing_page"),
        pdf_url=url("other_work_pdf"),
        author_count=1,
    )
    for position, person in enumerate((researcher, coauthor)):
        authorship = AuthorshipFactory(
            work=work,
            researcher=person,
            position=position,
            author_position="first" if position == 0 else "last",
            raw_author_name=text(f"raw_author_name_{position}"),
            raw_affiliation_strings=[text(f"raw_affiliation_{position}")],
        )
        AuthorshipInstitutionFactory(authorship=authorship, institution=institution)
    AuthorshipFactory(
        work=other_work,
        researcher=researcher,
        position=0,
        raw_author_name=text("raw_author_name_other"),
        raw_affiliation_strings=[text("raw_affiliation_other")],
    )
    AuthorshipFactory(
        work=WorkFactory(title=text("hidden_profile_work")), researcher=hidden
    )
    WorkTopicFactory(work=work, topic=topic)
    WorkTopicFactory(work=other_work, topic=topic)

    # The owner: both records, claimed through the claims services; the
    # hidden one hidden and the other curated through profiles.curation.
    claim = approved_claim(
        user=owner,
        researcher=researcher,
        moderator=moderator,
        note=text("claim_note"),
    )
    approved_claim(user=owner, researcher=hidden, moderator=moderator)
    researcher.refresh_from_db()
    hidden.refresh_from_db()
    curation.profile_visibility_set(researcher=hidden, user=owner, hidden=True)
    curation.profile_edit(
        researcher=researcher,
        user=owner,
        changes={
            "headline": text("headline"),
            "bio": text("bio"),
            "affiliation_note": text("affiliation_note"),
        },
    )
    hidden_work = WorkFactory(
        title=text("hidden_work_title"), source=source, author_count=1
    )
    AuthorshipFactory(work=hidden_work, researcher=researcher, position=0)
    curation.work_hide(
        researcher=researcher,
        user=owner,
        work=hidden_work,
        reason=text("hidden_work_reason"),
    )
    change = (
        ProfileChange.objects.filter(researcher=researcher, actor=owner)
        .order_by("-pk")
        .first()
    )
    pending_claim = ClaimFactory(
        user=colleague, researcher=coauthor, note=text("pending_claim_note")
    )
    # Stored URLs as an older release or a hand edit may have left them: the
    # services refuse anything but http(s) today.
    Claim.objects.filter(pk=claim.pk).update(homepage_url=url("claim_homepage"))
    Claim.objects.filter(pk=pending_claim.pk).update(
        homepage_url=url("pending_claim_homepage")
    )

    # A conversation between the colleague and the owner, reported.
    conversation = invitation_send(
        sender=colleague,
        researcher=researcher,
        subject=text("invitation_subject"),
        body=text("invitation_message"),
        work_id=work.pk,
    )
    report = report_create(
        conversation=conversation, reporter=owner, reason=text("report_reason")
    )
    # And one nobody reported, which moderators do not read.
    unreported = invitation_send(
        sender=stranger,
        researcher=researcher,
        subject=text("unreported_subject"),
        body=text("unreported_message"),
    )

    # Following and its digest.
    researcher_follow(user=user, researcher=researcher)
    researcher_follow(user=owner, researcher=coauthor)
    follow_digest_set(user=user, enabled=True)

    import_run = ImportRunFactory(error=text("import_error"))
    rejected = RejectedRecord.objects.create(
        run=import_run,
        entity="work",
        locator=text("rejected_locator"),
        reason=text("rejected_reason"),
        excerpt=text("rejected_excerpt"),
    )

    token = Token.objects.create(user=admin)
    social_app = SocialApp.objects.create(
        provider="orcid", name="ORCID", client_id="client", secret="s"
    )
    social_account = SocialAccount.objects.create(
        user=owner, provider="orcid", uid="0000-0002-1825-0097"
    )
    social_token = SocialToken.objects.create(
        app=social_app, account=social_account, token="token"
    )

    objects.update(
        institution=institution,
        source=source,
        topic=topic,
        researcher=researcher,
        coauthor=coauthor,
        hidden=hidden,
        work=work,
        other_work=other_work,
        hidden_work=hidden_work,
        claim=claim,
        pending_claim=pending_claim,
        change=change,
        conversation=conversation,
        report=report,
        unreported_conversation=unreported,
        import_run=import_run,
        rejected_record=rejected,
        token=token,
        social_app=social_app,
        social_account=social_account,
        social_token=social_token,
        email_address=EmailAddress.objects.get(user=owner),
        group=Group.objects.get(name=MODERATORS),
        unsubscribe_token=follow_digest_unsubscribe_token(user=user),
    )
    return world


@contextmanager
def world_rolled_back(django_db_blocker, build: Callable[[], World]):
    """For a module-scoped fixture: ``build()`` once in a transaction that
    is rolled back when the module is done; each test's own transaction is a
    savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build()
        transaction.set_rollback(True)
