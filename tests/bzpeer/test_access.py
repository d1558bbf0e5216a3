"""Who may open what: every address of the site (the URLconf walked, the
admin's, allauth's and the API's routes included) and every operation of
the OpenAPI schema, against five roles: anonymous, a logged-in account
without claims, the owner of the record in question (approved claims on
the public record and on a hidden one; a participant of the conversation),
a moderator (staff in the Moderators group) and an admin (superuser).

The table is the one place that says it, and nothing is more open than it
says: a route missing from it fails, so a new route comes with its
expectations. Each entry is checked with GET for every role; a write route
also with a POST without the CSRF token (refused) and a POST with it (a
non-owner refused). Every request runs in a savepoint that is rolled back,
with the client's cookies restored, so no request changes what the next
one sees."""

from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from drf_spectacular.generators import SchemaGenerator

from outbox.models import OutboxMessage
from profiles.models import Researcher
from tests.helpers.world import ROLES, World, world_build, world_rolled_back

pytestmark = pytest.mark.django_db

# Every expectation is a tuple in ROLES order: anonymous, a logged-in
# account, the owner, a moderator, an admin. A status, or one of these two:
LOGIN = "302 to login"  # the site's login page (allauth)
ADMIN_LOGIN = "302 to admin login"


def each(expected) -> tuple:
    return (expected,) * len(ROLES)


PUBLIC = each(200)
LOGGED_IN = (LOGIN, 200, 200, 200, 200)
# A hidden profile: its owners and staff only (profiles.visibility).
HIDDEN = (404, 404, 200, 200, 200)
NOT_ALLOWED = each(405)
# Pages and writes of the owner alone (profiles.curation_views).
OWNER_PAGE = (LOGIN, 403, 200, 403, 403)
OWNER_WRITE = (LOGIN, 403, 302, 403, 403)
# A conversation's participants alone; anyone else as if it did not exist.
PARTICIPANT_PAGE = (LOGIN, 404, 200, 404, 404)
PARTICIPANT_WRITE = (LOGIN, 404, 302, 404, 404)
LOGGED_IN_WRITE = (LOGIN, 302, 302, 302, 302)
CSRF_REFUSED = each(403)
# The API: no credentials is 401; a session write without its token is 403.
API_LOGGED_IN = (401, 200, 200, 200, 200)
API_WRITE_ONLY = (401, 405, 405, 405, 405)
API_CSRF_REFUSED = (401, 403, 403, 403, 403)


@dataclass(frozen=True)
class Entry:
    """An address (``{name}`` filled from ``world_values``) and what each
    role gets, in ``ROLES`` order: a status, or LOGIN / ADMIN_LOGIN.
    ``post`` (a write route) is what a POST with the CSRF token gets (None
    for a role: not sent), ``csrf`` what a POST without it gets; ``delete``
    the same for the API's DELETE operations."""

    path: str
    get: tuple
    post: tuple | None = None
    delete: tuple | None = None
    csrf: tuple = CSRF_REFUSED


SITE = [
    Entry("/", PUBLIC),
    Entry("/healthz", PUBLIC),
    Entry("/trust/", PUBLIC),
    Entry("/search?q=plain", PUBLIC),
    Entry("/researchers/", each(301)),
    # A profile and its pages; the hidden one for its owner and staff.
    Entry("/researchers/{R}/", PUBLIC),
    Entry("/researchers/{H}/", HIDDEN),
    Entry("/researchers/{R}/trust/", PUBLIC),
    Entry("/researchers/{H}/trust/", HIDDEN),
    Entry("/researchers/{R}/topics/", PUBLIC),
    Entry("/researchers/{H}/topics/", HIDDEN),
    Entry("/researchers/{R}/collaborators/", PUBLIC),
    Entry("/researchers/{H}/collaborators/", HIDDEN),
    Entry("/researchers/{R}/changes/", PUBLIC),
    Entry("/researchers/{H}/changes/", HIDDEN),
    Entry("/researchers/{R}/citations.bibtex", PUBLIC),
    Entry("/researchers/{H}/citations.ris", HIDDEN),
    Entry("/researchers/{R}/citations.pdf", each(404)),
    # The owner's curation.
    Entry("/researchers/{R}/manage/", OWNER_PAGE, post=OWNER_WRITE),
    Entry(
        "/researchers/{H}/manage/",
        (LOGIN, 404, 200, 403, 403),
        post=(LOGIN, 404, 302, 403, 403),
    ),
    Entry("/researchers/{R}/changes/{change}/undo/", NOT_ALLOWED, post=OWNER_WRITE),
    Entry("/researchers/{R}/works/{work}/hide/", NOT_ALLOWED, post=OWNER_WRITE),
    Entry(
        "/researchers/{R}/works/{hidden_work}/restore/",
        NOT_ALLOWED,
        post=OWNER_WRITE,
    ),
    Entry("/researchers/{R}/visibility/", NOT_ALLOWED, post=OWNER_WRITE),
    Entry("/researchers/{R}/merge/", NOT_ALLOWED, post=OWNER_WRITE),
    # Following.
    Entry("/researchers/{R}/follow/", NOT_ALLOWED, post=LOGGED_IN_WRITE),
    Entry(
        "/researchers/{H}/follow/",
        NOT_ALLOWED,
        post=(LOGIN, 404, 302, 302, 302),
    ),
    Entry("/researchers/{R}/unfollow/", NOT_ALLOWED, post=LOGGED_IN_WRITE),
    Entry("/feed/", LOGGED_IN),
    Entry("/following/", LOGGED_IN),
    Entry("/feed/digest/", NOT_ALLOWED, post=LOGGED_IN_WRITE),
    # The one-click unsubscribe of a digest (RFC 8058): the signed token is
    # the key, no login and no CSRF token.
    Entry("/feed/unsubscribe/{unsubscribe}/", PUBLIC, post=PUBLIC, csrf=PUBLIC),
    Entry("/feed/unsubscribe/forged/", each(400)),
    # The catalog.
    Entry("/works/{W}/", PUBLIC),
    Entry("/works/arxiv/{arxiv}/", each(301)),
    Entry("/works/{work}/", each(301)),
    Entry("/works/{work}/citation.csl-json", PUBLIC),
    Entry("/topics/{T}/", PUBLIC),
    Entry("/institutions/{I}/", PUBLIC),
    # Claims.
    Entry("/researchers/{R}/claim/", NOT_ALLOWED, post=LOGGED_IN_WRITE),
    Entry("/researchers/{H}/claim/", NOT_ALLOWED, post=(LOGIN, 404, 404, 404, 404)),
    Entry("/researchers/{C}/claim/orcid/", NOT_ALLOWED, post=LOGGED_IN_WRITE),
    Entry("/claims/orcid/complete/", (LOGIN, 302, 302, 302, 302), post=each(405)),
    Entry("/researchers/{R}/dispute/", NOT_ALLOWED, post=LOGGED_IN_WRITE),
    # Only the claimant's own claim; anyone else's is as if missing.
    Entry("/claims/{claim}/withdraw/", NOT_ALLOWED, post=PARTICIPANT_WRITE),
    # Collaboration.
    Entry("/researchers/{R}/invite/", NOT_ALLOWED, post=LOGGED_IN_WRITE),
    Entry("/researchers/{H}/invite/", NOT_ALLOWED, post=(LOGIN, 404, 302, 302, 302)),
    Entry("/inbox/", LOGGED_IN),
    Entry("/inbox/settings/", LOGGED_IN, post=LOGGED_IN_WRITE),
    Entry("/inbox/blocked/{colleague}/unblock/", NOT_ALLOWED, post=LOGGED_IN_WRITE),
    Entry("/inbox/{conversation}/", PARTICIPANT_PAGE),
    Entry("/inbox/{conversation}/accept/", NOT_ALLOWED, post=PARTICIPANT_WRITE),
    Entry("/inbox/{conversation}/decline/", NOT_ALLOWED, post=PARTICIPANT_WRITE),
    Entry("/inbox/{conversation}/reply/", NOT_ALLOWED, post=PARTICIPANT_WRITE),
    Entry("/inbox/{conversation}/archive/", NOT_ALLOWED, post=PARTICIPANT_WRITE),
    Entry("/inbox/{conversation}/block/", NOT_ALLOWED, post=PARTICIPANT_WRITE),
    Entry("/inbox/{conversation}/report/", NOT_ALLOWED, post=PARTICIPANT_WRITE),
    # The research graph: explorers, exports, the profile's fragment.
    Entry("/researchers/{R}/graph/", PUBLIC),
    Entry("/researchers/{H}/graph/", HIDDEN),
    Entry("/researchers/{R}/graph/?format=json", PUBLIC),
    Entry("/researchers/{H}/graph/?format=gexf", each(404)),
    Entry("/works/{W}/graph/?format=graphml", PUBLIC),
    Entry("/topics/{T}/graph/", PUBLIC),
    Entry("/institutions/{I}/graph/", PUBLIC),
    Entry("/graph/slice/researcher/{R}/?build=1", PUBLIC),
    Entry("/graph/slice/researcher/{H}/?build=1", HIDDEN),
    Entry("/graph/slice/work/{W}/?build=1", PUBLIC),
    # The account's own data.
    Entry("/accounts/data/", LOGGED_IN),
    Entry("/accounts/data/download/", LOGGED_IN),
    Entry("/accounts/delete/", LOGGED_IN, post=(LOGIN, 200, 200, 200, 200)),
]

ALLAUTH = [
    Entry(
        "/accounts/login/", (200, 302, 302, 302, 302), post=(200, 302, 302, 302, 302)
    ),
    Entry("/accounts/logout/", (302, 200, 200, 200, 200), post=each(302)),
    Entry("/accounts/inactive/", PUBLIC),
    Entry(
        "/accounts/signup/", (200, 302, 302, 302, 302), post=(200, 302, 302, 302, 302)
    ),
    Entry("/accounts/reauthenticate/", LOGGED_IN, post=(LOGIN, 200, 200, 200, 200)),
    Entry("/accounts/email/", LOGGED_IN, post=LOGGED_IN_WRITE),
    Entry("/accounts/confirm-email/", PUBLIC),
    Entry("/accounts/confirm-email/forged-key/", PUBLIC, post=each(404)),
    Entry("/accounts/password/change/", LOGGED_IN, post=(LOGIN, 200, 200, 200, 200)),
    Entry("/accounts/password/set/", (LOGIN, 302, 302, 302, 302)),
    Entry("/accounts/password/reset/", PUBLIC, post=each(200)),
    Entry("/accounts/password/reset/done/", PUBLIC),
    Entry("/accounts/password/reset/key/1-forged/", PUBLIC, post=each(200)),
    Entry("/accounts/password/reset/key/done/", PUBLIC),
    Entry("/accounts/login/code/confirm/", (LOGIN, 302, 302, 302, 302)),
    Entry("/accounts/3rdparty/", LOGGED_IN, post=LOGGED_IN),
    Entry("/accounts/3rdparty/login/cancelled/", PUBLIC),
    # The sign-in's error page answers 401, as allauth has it.
    Entry("/accounts/3rdparty/login/error/", each(401)),
    # Without a sign-in under way there is nothing to sign up with.
    Entry("/accounts/3rdparty/signup/", each(LOGIN)),
    Entry("/accounts/social/connections/", each(301)),
    Entry("/accounts/social/login/cancelled/", each(301)),
    Entry("/accounts/social/login/error/", each(301)),
    Entry("/accounts/social/signup/", each(301)),
    Entry("/accounts/orcid/login/", PUBLIC, post=each(302)),
    Entry("/accounts/orcid/login/callback/", each(401)),
]

API = [
    Entry("/api/schema/", PUBLIC),
    Entry("/api/docs/", PUBLIC),
    Entry("/api/researchers/", PUBLIC),
    Entry("/api/researchers/{R}/", PUBLIC),
    # A hidden profile is absent from the API for everyone, its owner too.
    Entry("/api/researchers/{H}/", each(404)),
    Entry("/api/researchers/{R}/works/", PUBLIC),
    Entry("/api/researchers/{H}/works/", each(404)),
    Entry("/api/researchers/{R}/graph/", PUBLIC),
    Entry("/api/researchers/{H}/graph/", each(404)),
    Entry("/api/researchers/{R}/citations/?style=ris", PUBLIC),
    Entry("/api/researchers/{H}/citations/", each(404)),
    Entry(
        "/api/researchers/{R}/follow/",
        API_WRITE_ONLY,
        # The owner does not follow their own profile.
        post=(401, 200, 400, 200, 200),
        delete=API_LOGGED_IN,
        csrf=API_CSRF_REFUSED,
    ),
    Entry(
        "/api/researchers/{H}/follow/",
        API_WRITE_ONLY,
        post=(401, 404, 404, 404, 404),
        delete=(401, 404, 404, 404, 404),
        csrf=API_CSRF_REFUSED,
    ),
    Entry(
        "/api/researchers/{R}/claim/",
        API_WRITE_ONLY,
        post=(401, 400, 400, 400, 400),
        delete=(401, 400, 400, 400, 400),
        csrf=API_CSRF_REFUSED,
    ),
    Entry(
        "/api/researchers/{R}/invitation/",
        API_WRITE_ONLY,
        post=(401, 400, 400, 400, 400),
        csrf=API_CSRF_REFUSED,
    ),
    Entry("/api/works/", PUBLIC),
    Entry("/api/works/{W}/", PUBLIC),
    Entry("/api/works/{W}/graph/", PUBLIC),
    Entry("/api/works/{W}/citations/?style=csl-json", PUBLIC),
    Entry("/api/topics/", PUBLIC),
    Entry("/api/topics/{T}/", PUBLIC),
    Entry("/api/topics/{T}/graph/", PUBLIC),
    Entry("/api/institutions/", PUBLIC),
    Entry("/api/institutions/{I}/", PUBLIC),
    Entry("/api/institutions/{I}/graph/", PUBLIC),
    Entry("/api/me/conversations/", API_LOGGED_IN),
    Entry(
        "/api/no-such-thing/",
        each(404),
        post=(401, 404, 404, 404, 404),
        delete=(401, 404, 404, 404, 404),
        csrf=API_CSRF_REFUSED,
    ),
]

# --- the admin ---------------------------------------------------------------

NOT_STAFF = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN)


def staff(moderator, admin_) -> tuple:
    """Anyone not staff is sent to the admin's login."""
    return (*NOT_STAFF, moderator, admin_)


# What the moderator and the admin may do with each registered model: view,
# add, change, delete. The catalog and profiles are the sources' (read-only
# for everyone), claims and reports are decided, never added or deleted.
ADMIN_RIGHTS = {
    "auth.group": ("", "vacd"),
    "auth.user": ("", "vacd"),
    "authtoken.tokenproxy": ("", "vacd"),
    "account.emailaddress": ("", "vacd"),
    "socialaccount.socialapp": ("", "vacd"),
    "socialaccount.socialtoken": ("", "vacd"),
    "socialaccount.socialaccount": ("", "vacd"),
    "profiles.researcher": ("v", "v"),
    "works.importrun": ("", "vcd"),
    "works.rejectedrecord": ("", "vcd"),
    "works.institution": ("", "v"),
    "works.source": ("", "v"),
    "works.topic": ("", "v"),
    "works.work": ("v", "v"),
    "works.authorship": ("v", "v"),
    "claims.claim": ("vc", "vc"),
    "collaboration.report": ("vc", "vc"),
    "collaboration.conversation": ("v", "v"),
    "outbox.outboxmessage": ("", "v"),
}
# The world's row each model's object pages open (its admin's object id).
ADMIN_OBJECTS = {
    "auth.group": "group",
    "auth.user": "colleague",
    # A token's admin pages go by its user's id.
    "authtoken.tokenproxy": "token_user",
    "account.emailaddress": "email_address",
    "socialaccount.socialapp": "social_app",
    "socialaccount.socialtoken": "social_token",
    "socialaccount.socialaccount": "social_account",
    "profiles.researcher": "researcher",
    "works.importrun": "import_run",
    "works.rejectedrecord": "rejected_record",
    "works.institution": "institution",
    "works.source": "source",
    "works.topic": "topic",
    "works.work": "work",
    "works.authorship": "authorship",
    "claims.claim": "claim",
    "collaboration.report": "report",
    "collaboration.conversation": "conversation",
    "outbox.outboxmessage": "outbox_message",
}


def _may(rights: str, wanted: str, *, refused=403):
    return 200 if set(rights) & set(wanted) else refused


def _write(rights: str, wanted: str):
    """A POST with the token: refused without the right, else not sent
    (what a granted write does is the admin's own tests' business)."""
    return None if set(rights) & set(wanted) else 403


def admin_model_entries(label: str) -> list[Entry]:
    moderator, admin_ = ADMIN_RIGHTS[label]
    app_label, model_name = label.split(".")
    base = f"/admin/{app_label}/{model_name}/"
    item = f"{base}{{admin:{label}}}/"

    def both(rule, *wanted) -> tuple:
        return staff(rule(moderator, *wanted), rule(admin_, *wanted))

    return [
        # The change list takes the actions' POST (each checks its own
        # right); without the right to see the list it is refused.
        Entry(base, both(_may, "vc"), post=both(_write, "vc")),
        Entry(base + "add/", both(_may, "a"), post=both(_write, "a")),
        Entry(item + "change/", both(_may, "vc"), post=both(_write, "c")),
        Entry(item + "history/", both(_may, "vc")),
        Entry(item + "delete/", both(_may, "d"), post=both(_write, "d")),
        # The old change address redirects to the new one.
        Entry(item, staff(302, 302)),
    ]


def admin_entries() -> list[Entry]:
    entries = [
        Entry("/admin/", staff(200, 200)),
        Entry("/admin/login/", (200, 200, 200, 302, 302), post=each(200)),
        # The admin's logout sends anyone not staff to its index.
        Entry(
            "/admin/logout/", (302, 302, 302, 405, 405), post=(302, 302, 302, 200, 200)
        ),
        Entry("/admin/password_change/", staff(200, 200), post=staff(200, 200)),
        Entry("/admin/password_change/done/", staff(200, 200)),
        # Without its parameters the autocomplete refuses everyone.
        Entry("/admin/autocomplete/", staff(403, 403)),
        Entry("/admin/jsi18n/", staff(200, 200)),
        # No registered model has a page on the site of its own.
        Entry("/admin/r/{researcher_type}/{researcher_pk}/", staff(404, 404)),
        Entry("/admin/no-such-page/", staff(404, 404)),
        Entry("/admin/works/importrun/start/", staff(403, 200), post=staff(403, None)),
        # Moderators read reported conversations only: another is as if
        # missing (the admin sends them back to its index).
        Entry(
            "/admin/collaboration/conversation/{unreported}/change/",
            staff(302, 302),
        ),
        Entry(
            "/admin/auth/user/{admin:auth.user}/password/",
            staff(403, 200),
            post=staff(403, 200),
        ),
    ]
    apps: dict[str, list[str]] = {}
    for model in admin.site._registry:
        label = model._meta.label_lower
        apps.setdefault(model._meta.app_label, []).append(label)
        if label in ADMIN_RIGHTS:
            entries.extend(admin_model_entries(label))
    for app_label, labels in apps.items():
        known = [ADMIN_RIGHTS.get(label, ("", "")) for label in labels]
        entries.append(
            Entry(
                f"/admin/{app_label}/",
                staff(
                    200 if any(m for m, _ in known) else 404,
                    200 if any(a for _, a in known) else 404,
                ),
            )
        )
    return entries


TABLE = [*SITE, *ALLAUTH, *API, *admin_entries()]


# --- the world and its clients -------------------------------------------------


def _world_with_outbox() -> World:
    built = world_build()
    built.objects["outbox_message"] = OutboxMessage.objects.create(
        task_name="profiles.researcher_trust_recompute", args=[1]
    )
    return built


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One world for the module, rolled back at its end."""
    with world_rolled_back(django_db_blocker, _world_with_outbox) as built:
        yield built


@pytest.fixture(autouse=True)
def _refusals_unlogged():
    """A thousand refusals logged with their tracebacks cost a third of the
    run; errors (a 500) are still logged."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture(autouse=True)
def _limits_raised(settings):
    settings.API_THROTTLE_ANON = "100000/min"
    settings.API_THROTTLE_USER = "100000/min"
    settings.CLAIM_RATE_PER_USER = "100000/h"
    settings.CLAIM_RATE_PER_IP = "100000/h"
    settings.DISPUTE_RATE_PER_USER = "100000/h"
    settings.DISPUTE_RATE_PER_IP = "100000/h"
    settings.INVITATION_RATE_PER_USER = "100000/h"
    settings.MESSAGE_RATE_PER_USER = "100000/h"
    settings.ACCOUNT_RATE_LIMITS = False


def world_values(world: World) -> dict[str, object]:
    values = {
        "R": world.researcher.openalex_id,
        "H": world.hidden.openalex_id,
        "C": world.coauthor.openalex_id,
        "W": world.work.openalex_id,
        "T": world.topic.openalex_id,
        "I": world.institution.openalex_id,
        "arxiv": world.work.arxiv_id,
        "work": world.work.pk,
        "hidden_work": world.hidden_work.pk,
        "change": world.change.pk,
        "claim": world.claim.pk,
        "conversation": world.conversation.pk,
        "unreported": world.unreported_conversation.pk,
        "colleague": world.colleague.pk,
        "unsubscribe": world.unsubscribe_token,
        "researcher_type": ContentType.objects.get_for_model(Researcher).pk,
        "researcher_pk": world.researcher.pk,
    }
    authorship = world.work.authorships.order_by("position").first()
    rows = {
        **world.objects,
        "authorship": authorship,
        "token_user": world.token.user,
    }
    for label, name in ADMIN_OBJECTS.items():
        values[f"admin:{label}"] = rows[name].pk
    return values


def fill(path: str, values: dict[str, object]) -> str:
    return re.sub(r"\{([^{}]+)\}", lambda m: str(values[m.group(1)]), path)


@pytest.fixture
def clients(world):
    """Per role: a client as a browser holds it, and one that checks the
    CSRF token as browsers must send it."""
    made = {}
    for role in ROLES:
        pair = []
        for enforce in (False, True):
            client = Client(enforce_csrf_checks=enforce, raise_request_exception=False)
            if world.users[role] is not None:
                client.force_login(world.users[role])
            pair.append(client)
        made[role] = tuple(pair)
    return made


def outcome(response):
    """The status, or where a redirect to a login page leads."""
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        if location.startswith(reverse("account_login")):
            return LOGIN
    return response.status_code


def request(client, method: str, path: str):
    """One request in a savepoint rolled back after it, the client's
    cookies (its session, its login) as they were."""
    cookies = copy.deepcopy(client.cookies)
    body = {}
    if path.startswith("/api/") and method != "get":
        body = {"data": "{}", "content_type": "application/json"}
    with transaction.atomic():
        response = getattr(client, method)(path, **body)
        transaction.set_rollback(True)
    client.cookies = cookies
    return response


def check(table, clients, values, *, method: str, expectations, csrf: bool):
    """Every entry's answer for every role; the mismatches, one a line."""
    wrong = []
    for entry in table:
        expected_by_role = expectations(entry)
        if expected_by_role is None:
            continue
        path = fill(entry.path, values)
        for role, expected in zip(ROLES, expected_by_role, strict=True):
            if expected is None:
                continue
            got = outcome(request(clients[role][csrf], method, path))
            if got != expected:
                wrong.append(
                    f"{method.upper()} {entry.path} as {role}: got {got}, "
                    f"expected {expected}"
                )
    return wrong


def _fail_on(wrong: list[str]) -> None:
    assert not wrong, f"{len(wrong)} answers differ from the table:\n" + "\n".join(
        wrong
    )


# --- the table covers every route -----------------------------------------------


def url_routes(resolver=None, prefix: str = "") -> list[str]:
    """Every route of the URLconf, as ``ResolverMatch.route`` spells it."""
    resolver = resolver or get_resolver()
    routes = []
    for pattern in resolver.url_patterns:
        route = URLResolver._join_route(prefix, str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            routes.extend(url_routes(pattern, route))
        else:
            assert isinstance(pattern, URLPattern)
            routes.append(route)
    return routes


def test_every_route_of_the_urlconf_is_in_the_table(world):
    values = world_values(world)
    covered = {resolve(fill(e.path, values).split("?")[0]).route for e in TABLE}

    missing = [route for route in url_routes() if route not in covered]

    assert not missing, "Routes with no line in the table: " + ", ".join(missing)
    unknown = {m._meta.label_lower for m in admin.site._registry} - set(ADMIN_RIGHTS)
    assert not unknown, f"Admin models with no rights in ADMIN_RIGHTS: {unknown}"


def _openapi_path(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def test_every_operation_of_the_api_schema_is_in_the_table(world):
    values = world_values(world)
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {
        (path, method)
        for path, methods in schema["paths"].items()
        for method in methods
    }
    covered = set()
    for entry in API:
        path = _openapi_path(resolve(fill(entry.path, values).split("?")[0]).route)
        covered.add((path, "get"))
        if entry.post is not None:
            covered.add((path, "post"))
        if entry.delete is not None:
            covered.add((path, "delete"))

    assert operations, "the schema lists no operation"
    assert not operations - covered, sorted(operations - covered)


# --- and answers as it says ---------------------------------------------------------


def test_get_answers_as_the_table_says(world, clients):
    wrong = check(
        TABLE,
        clients,
        world_values(world),
        method="get",
        expectations=lambda entry: entry.get,
        csrf=False,
    )
    _fail_on(wrong)


def test_writes_without_the_csrf_token_are_refused(world, clients):
    values = world_values(world)
    wrong = check(
        TABLE,
        clients,
        values,
        method="post",
        expectations=lambda entry: entry.csrf if entry.post else None,
        csrf=True,
    )
    wrong += check(
        TABLE,
        clients,
        values,
        method="delete",
        expectations=lambda entry: entry.csrf if entry.delete else None,
        csrf=True,
    )
    _fail_on(wrong)


def test_writes_answer_as_the_table_says(world, clients):
    values = world_values(world)
    wrong = check(
        TABLE,
        clients,
        values,
        method="post",
        expectations=lambda entry: entry.post,
        csrf=False,
    )
    wrong += check(
        TABLE,
        clients,
        values,
        method="delete",
        expectations=lambda entry: entry.delete,
        csrf=False,
    )
    _fail_on(wrong)
