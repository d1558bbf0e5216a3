"""Every field a person types or a source imports carries a hostile payload
(markup for every context a template puts text in, LaTeX, what breaks a
BibTeX entry or a RIS record) or, for a stored address, a ``javascript:`` or
``data:`` URL; a marker in each names its field. Every page, file and API
answer that shows them must hold them harmlessly: in HTML no element,
attribute, script or address of the payload's, in JSON and XML a document
that parses, in BibTeX and RIS a structure the payload did not change; and
each shows the fields it is expected to show, so a page that lost them does
not pass by saying nothing."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from claims.models import Claim, ClaimEvent
from claims.services import claim_dispute, claim_reject
from collaboration.services import conversation_accept, message_send
from tests.factories import AuthorshipFactory, WorkFactory
from tests.helpers.escaping import (
    bibtex_entries,
    hostile_url,
    html_problems,
    json_problems,
    json_strings,
    mark,
    payload,
    ris_records,
    short_payload,
    xml_text,
)
from tests.helpers.world import World, world_build, world_rolled_back

pytestmark = pytest.mark.django_db

# Fields of 200 characters at most take the shorter payload.
SHORT_FIELDS = {"headline", "invitation_subject", "unreported_subject"}
REPLY = (
    payload("reply_message")
    + " javascript:alert('QreplyjsQ') https://example.org/?q=<b>QreplylinkQ</b>"
    + ' www.example.com/"onmouseover="alert(1)'
)


def hostile_text(field: str) -> str:
    return short_payload(field) if field in SHORT_FIELDS else payload(field)


def hostile_world() -> World:
    world = world_build(
        text=hostile_text,
        url=hostile_url,
        username=lambda role: short_payload(f"username_{role}"),
    )
    users = world.users
    # A dispute of the owner's claim, its evidence page as a row written
    # another way may hold it (the service takes http(s) only).
    claim_dispute(
        claim=world.claim,
        user=users["user"],
        reason=payload("dispute_reason"),
        evidence_url="https://example.org/evidence",
    )
    ClaimEvent.objects.filter(claim=world.claim, kind="disputed").update(
        evidence_url=hostile_url("dispute_evidence")
    )
    # The colleague's claim of the coauthor rejected in the moderator's words.
    claim_reject(
        claim=world.pending_claim,
        moderator=users["moderator"],
        reason_code=Claim.ReasonCode.OTHER,
        reason=payload("rejection_reason"),
    )
    # A work new since the account followed the researcher: the feed's.
    AuthorshipFactory(
        researcher=world.researcher,
        work=WorkFactory(
            title=payload("feed_work_title"),
            source=world.source,
            publication_date=timezone.localdate(),
        ),
    )
    # A preprint listed under the work, with what a source may send as its
    # type and DOI; the topic's description and the institution's type.
    version = WorkFactory(
        title=payload("version_title"),
        type=f"<b onmouseover=alert(1)>{mark('version_type')}",
        doi=f"10.5555/\"><script>alert('{mark('version_doi')}')</script>",
        source=world.source,
        canonical=world.work,
    )
    AuthorshipFactory(researcher=world.researcher, work=version)
    world.topic.description = payload("topic_description")
    world.topic.save(update_fields=["description"])
    world.institution.type = f"<b onmouseover=alert(1)>{mark('institution_type')}"
    world.institution.save(update_fields=["type"])
    # The reported conversation accepted, so its links are clickable.
    conversation_accept(conversation=world.conversation, user=users["owner"])
    message_send(conversation=world.conversation, sender=world.colleague, body=REPLY)
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with world_rolled_back(django_db_blocker, hostile_world) as built:
        yield built


@pytest.fixture(autouse=True)
def _limits_raised(settings):
    settings.API_THROTTLE_ANON = "100000/min"
    settings.API_THROTTLE_USER = "100000/min"


# What the researcher's own pages show of them and of their works.
PROFILE = (
    "researcher_name",
    "headline",
    "affiliation_note",
    "bio",
    "institution_name",
    "work_title",
    "other_work_title",
    "source_name",
)
WORK = ("work_title", "work_abstract", "source_name", "raw_author_name_0", "topic_name")
VERSION = ("version_title", "version_type", "version_doi")
CITED = ("work_title", "source_name", "raw_author_name_0")

# (what, role, address, the fields it must show); ``{name}`` from the world.
PAGES = [
    ("home", "anonymous", "/", ("researcher_name",)),
    # A version under a work shows as its type, venue and year.
    (
        "profile",
        "anonymous",
        "/researchers/{R}/",
        (*PROFILE, "version_type", "version_doi"),
    ),
    ("profile as owner", "owner", "/researchers/{R}/", PROFILE),
    ("profile as disputer", "user", "/researchers/{R}/", PROFILE),
    (
        "profile as the inviter",
        "colleague",
        "/researchers/{R}/",
        ("researcher_name",),
    ),
    (
        "coauthor's profile as rejected claimant",
        "colleague",
        "/researchers/{C}/",
        ("coauthor_name", "rejection_reason"),
    ),
    ("trust", "anonymous", "/researchers/{R}/trust/", ("researcher_name",)),
    ("topics", "anonymous", "/researchers/{R}/topics/", ("topic_name",)),
    (
        "collaborators",
        "anonymous",
        "/researchers/{R}/collaborators/",
        ("researcher_name", "coauthor_name"),
    ),
    (
        "change log",
        "owner",
        "/researchers/{R}/changes/",
        ("hidden_work_title", "hidden_work_reason"),
    ),
    (
        "manage",
        "owner",
        "/researchers/{R}/manage/",
        ("headline", "bio", "affiliation_note", "hidden_work_reason"),
    ),
    (
        "graph explorer",
        "anonymous",
        "/researchers/{R}/graph/",
        ("researcher_name", "coauthor_name", "work_title", "topic_name"),
    ),
    (
        "graph fragment",
        "anonymous",
        "/graph/slice/researcher/{R}/?build=1",
        ("researcher_name", "coauthor_name"),
    ),
    (
        "graph JSON",
        "anonymous",
        "/researchers/{R}/graph/?format=json",
        ("researcher_name", "work_title"),
    ),
    (
        "graph GraphML",
        "anonymous",
        "/researchers/{R}/graph/?format=graphml",
        ("researcher_name", "work_title"),
    ),
    (
        "graph GEXF",
        "anonymous",
        "/researchers/{R}/graph/?format=gexf",
        ("researcher_name", "work_title"),
    ),
    ("work graph", "anonymous", "/works/{W}/graph/", ("work_title",)),
    ("topic graph", "anonymous", "/topics/{T}/graph/", ("topic_name",)),
    (
        "institution graph",
        "anonymous",
        "/institutions/{I}/graph/",
        ("institution_name",),
    ),
    (
        "work",
        "anonymous",
        "/works/{W}/",
        (*WORK, *VERSION, "raw_author_name_1", "institution_name"),
    ),
    ("version", "anonymous", "/works/{version}/", (*VERSION, "work_title")),
    (
        "work without DOI",
        "anonymous",
        "/works/{W2}/",
        ("other_work_title", "other_work_abstract"),
    ),
    (
        "topic",
        "anonymous",
        "/topics/{T}/",
        ("topic_name", "topic_description", "researcher_name"),
    ),
    ("topic's works", "anonymous", "/topics/{T}/?list=works", ("work_title",)),
    (
        "institution",
        "anonymous",
        "/institutions/{I}/",
        ("institution_name", "institution_type", "researcher_name"),
    ),
    (
        "institution's works",
        "anonymous",
        "/institutions/{I}/?list=works",
        ("work_title",),
    ),
    (
        "search researchers",
        "anonymous",
        "/search?q={researcher_mark}",
        ("researcher_name",),
    ),
    (
        "search works",
        "anonymous",
        "/search?in=works&q={work_mark}",
        ("work_title", "source_name"),
    ),
    ("feed", "user", "/feed/", ("feed_work_title", "source_name")),
    ("following", "user", "/following/", ("researcher_name",)),
    (
        "inbox as owner",
        "owner",
        "/inbox/",
        ("invitation_subject", "unreported_subject"),
    ),
    ("inbox as colleague", "colleague", "/inbox/", ("invitation_subject",)),
    (
        "accepted conversation",
        "owner",
        "/inbox/{conversation}/",
        ("invitation_subject", "invitation_message", "reply_message", "work_title"),
    ),
    (
        "accepted conversation as its initiator",
        "colleague",
        "/inbox/{conversation}/",
        ("invitation_subject", "reply_message"),
    ),
    (
        "pending conversation",
        "owner",
        "/inbox/{unreported}/",
        ("unreported_subject", "unreported_message"),
    ),
    ("account data", "owner", "/accounts/data/", ("researcher_name",)),
    ("account data of the disputer", "user", "/accounts/data/", ()),
    (
        "account data export",
        "owner",
        "/accounts/data/download/",
        ("username_owner", "claim_note", "headline", "invitation_subject"),
    ),
    (
        "account data export of the disputer",
        "user",
        "/accounts/data/download/",
        ("dispute_reason",),
    ),
    (
        "account data export of the colleague",
        "colleague",
        "/accounts/data/download/",
        ("pending_claim_note", "reply_message"),
    ),
    ("account deletion", "owner", "/accounts/delete/", ()),
    ("account e-mail addresses", "owner", "/accounts/email/", ("username_owner",)),
    # The admin, as the moderators and admins read it.
    (
        "admin researchers",
        "moderator",
        "/admin/profiles/researcher/",
        ("researcher_name", "institution_name"),
    ),
    (
        "admin researcher",
        "moderator",
        "/admin/profiles/researcher/{researcher_pk}/change/",
        (
            "researcher_name",
            "headline",
            "bio",
            "work_title",
            "hidden_work_reason",
            "username_owner",
        ),
    ),
    ("admin works", "moderator", "/admin/works/work/", ("work_title",)),
    (
        "admin work",
        "moderator",
        "/admin/works/work/{work_pk}/change/",
        ("work_title", "work_abstract"),
    ),
    (
        "admin claims",
        "moderator",
        "/admin/claims/claim/",
        ("researcher_name", "username_owner"),
    ),
    (
        "admin claim",
        "moderator",
        "/admin/claims/claim/{claim}/change/",
        ("researcher_name", "claim_note", "dispute_reason", "username_user"),
    ),
    (
        "admin rejected claim",
        "moderator",
        "/admin/claims/claim/{pending_claim}/change/",
        ("coauthor_name", "pending_claim_note", "rejection_reason"),
    ),
    ("admin reports", "moderator", "/admin/collaboration/report/", ()),
    (
        "admin report",
        "moderator",
        "/admin/collaboration/report/{report}/change/",
        ("report_reason", "invitation_subject", "invitation_message", "reply_message"),
    ),
    (
        "admin conversation",
        "moderator",
        "/admin/collaboration/conversation/{conversation}/change/",
        ("invitation_subject", "invitation_message"),
    ),
    ("admin authorships", "moderator", "/admin/works/authorship/", ()),
    (
        "admin institution",
        "admin",
        "/admin/works/institution/{I_pk}/change/",
        ("institution_name",),
    ),
    (
        "admin import run",
        "admin",
        "/admin/works/importrun/{import_run}/change/",
        ("import_error", "rejected_reason"),
    ),
    ("admin users", "admin", "/admin/auth/user/", ("username_owner",)),
    # The API.
    ("API docs", "anonymous", "/api/docs/", ()),
    (
        "API researchers",
        "anonymous",
        "/api/researchers/?q={researcher_mark}",
        ("researcher_name",),
    ),
    (
        "API researcher",
        "anonymous",
        "/api/researchers/{R}/",
        ("researcher_name", "headline", "bio", "institution_name"),
    ),
    (
        "API researcher's works",
        "anonymous",
        "/api/researchers/{R}/works/",
        ("work_title", "source_name"),
    ),
    (
        "API researcher's graph",
        "anonymous",
        "/api/researchers/{R}/graph/",
        ("researcher_name", "work_title"),
    ),
    ("API works", "anonymous", "/api/works/?q={work_mark}", ("work_title",)),
    ("API work", "anonymous", "/api/works/{W}/", (*WORK, "raw_author_name_1")),
    ("API work without DOI", "anonymous", "/api/works/{W2}/", ("other_work_title",)),
    ("API topic", "anonymous", "/api/topics/{T}/", ("topic_name", "topic_field")),
    ("API institution", "anonymous", "/api/institutions/{I}/", ("institution_name",)),
    (
        "API conversations",
        "owner",
        "/api/me/conversations/",
        ("invitation_subject", "unreported_subject"),
    ),
    # Citation exports, from the pages and from the API.
    ("BibTeX of a profile", "anonymous", "/researchers/{R}/citations.bibtex", CITED),
    ("RIS of a profile", "anonymous", "/researchers/{R}/citations.ris", CITED),
    ("CSL of a profile", "anonymous", "/researchers/{R}/citations.csl-json", CITED),
    ("BibTeX of a work", "anonymous", "/works/{work_pk}/citation.bibtex", CITED),
    ("RIS of a work", "anonymous", "/works/{work_pk}/citation.ris", CITED),
    ("CSL of a work", "anonymous", "/works/{work_pk}/citation.csl-json", CITED),
    (
        "API BibTeX",
        "anonymous",
        "/api/researchers/{R}/citations/?style=bibtex",
        CITED,
    ),
    ("API RIS", "anonymous", "/api/works/{W}/citations/?style=ris", CITED),
    ("API CSL", "anonymous", "/api/works/{W}/citations/?style=csl-json", CITED),
]


def world_values(world: World) -> dict[str, object]:
    return {
        "R": world.researcher.openalex_id,
        "C": world.coauthor.openalex_id,
        "W": world.work.openalex_id,
        "W2": world.other_work.openalex_id,
        "version": world.work.versions.get().openalex_id,
        "T": world.topic.openalex_id,
        "I": world.institution.openalex_id,
        "I_pk": world.institution.pk,
        "researcher_pk": world.researcher.pk,
        "work_pk": world.work.pk,
        "claim": world.claim.pk,
        "pending_claim": world.pending_claim.pk,
        "report": world.report.pk,
        "conversation": world.conversation.pk,
        "unreported": world.unreported_conversation.pk,
        "import_run": world.import_run.pk,
        "researcher_mark": mark("researcher_name"),
        "work_mark": mark("work_title"),
    }


def problems_in(response) -> tuple[list[str], str]:
    """What the payloads did to this answer, and its text in which the
    markers are looked for."""
    content_type = response.get("Content-Type", "")
    body = response.content
    download = "attachment" in response.get("Content-Disposition", "")
    problems = []
    if download or "json" in content_type:
        # A file or data: never something a browser would render as a page.
        if "html" in content_type:
            problems.append(f"served as {content_type}")
        if response.get("X-Content-Type-Options") != "nosniff":
            problems.append("no X-Content-Type-Options: nosniff")
    if "html" in content_type:
        text = body.decode()
        problems += html_problems(text)
    elif "json" in content_type:
        try:
            data = json.loads(body)
        except ValueError as invalid:
            return [*problems, f"JSON that does not parse: {invalid}"], ""
        if response.request["PATH_INFO"].startswith("/api/"):
            # The API's addresses are for clients to follow; the account's
            # export hands back what is stored, as a file.
            problems += json_problems(data)
        text = "\n".join(json_strings(data))
    elif "bibtex" in content_type:
        text = body.decode()
        entries = bibtex_entries(text)
        keys = {key for entry in entries for key in entry.fields_dict}
        injected = keys - {
            "title",
            "author",
            "year",
            "journal",
            "booktitle",
            "howpublished",
            "publisher",
            "school",
            "doi",
            "eprint",
            "archivePrefix",
            "url",
        }
        if injected:
            problems.append(f"BibTeX fields of the payload's: {injected}")
    elif "research-info-systems" in content_type:
        text = body.decode()
        records = ris_records(text)
        tags = {tag for record in records for tag in record}
        if not tags <= {
            "TY",
            "TI",
            "AU",
            "PY",
            "JO",
            "T2",
            "DO",
            "N1",
            "UR",
            "ID",
            "ER",
        }:
            problems.append(f"RIS tags of the payload's: {tags}")
        if any(r["ER"] != [""] for r in records):
            problems.append("a RIS record ended by the payload")
    elif "xml" in content_type:
        text = xml_text(body)
    else:
        problems.append(f"an answer of an unexpected type: {content_type}")
        text = body.decode(errors="replace")
    return problems, text


@pytest.fixture(scope="module")
def clients(world):
    made = {}
    for role, user in {**world.users, "colleague": world.colleague}.items():
        client = Client(raise_request_exception=True)
        if user is not None:
            client.force_login(user)
        made[role] = client
    return made


@pytest.mark.parametrize(
    ("role", "address", "shown"),
    [page[1:] for page in PAGES],
    ids=[page[0] for page in PAGES],
)
def test_the_payloads_are_harmless_where_they_are_shown(
    world, clients, role, address, shown
):
    path = address.format(**world_values(world))

    response = clients[role].get(path)

    assert response.status_code == 200, (path, response.status_code)
    problems, text = problems_in(response)
    assert not problems, f"{path} as {role}:\n" + "\n".join(problems)
    missing = [field for field in shown if mark(field) not in text]
    assert not missing, f"{path} as {role} does not show {missing}"


# Reflected: what a visitor types into an address comes back escaped too.
REFLECTED = [
    "/search?q={payload}",
    "/search?in=works&q={payload}&year={payload}&type={payload}",
    "/researchers/{R}/?sort={payload}&page=999",
    "/researchers/{R}/changes/?page={payload}",
    "/topics/{T}/?list={payload}&page=999",
    "/researchers/{R}/graph/?kinds={payload}&depth={payload}&year_min={payload}",
    "/graph/slice/researcher/{R}/?build=1&kinds={payload}",
    "/api/works/?q={payload}&year={payload}",
    "/api/researchers/?topic={payload}",
]


@pytest.mark.parametrize("address", REFLECTED)
def test_what_an_address_carries_comes_back_harmless(world, clients, address):
    path = address.format(payload=quote(payload("address")), **world_values(world))

    response = clients["anonymous"].get(path, follow=True)

    problems, _ = problems_in(response)
    assert not problems, f"{path}:\n" + "\n".join(problems)


def test_the_moderators_decision_form_shows_the_claims_harmless(world, clients):
    response = clients["moderator"].post(
        "/admin/claims/claim/",
        {
            "action": "reject_claims",
            "_selected_action": [world.claim.pk],
            "index": "0",
        },
    )

    assert response.status_code == 200
    problems, text = problems_in(response)
    assert not problems, "\n".join(problems)
    assert mark("researcher_name") in text and mark("username_owner") in text
