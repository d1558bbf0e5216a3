"""Following researchers: the profile's Actions section, follow and unfollow
(a form, or JSON for the script), whom I follow, the feed of new works and
the weekly digest with its one-click unsubscribe."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from profiles import curation, digest, following
from profiles.models import Follow, FollowDigest, Researcher
from profiles.selectors import feed_works
from profiles.services import researcher_owner_add, researcher_trust_update
from tests.factories import (
    AuthorshipFactory,
    FollowFactory,
    ResearcherFactory,
    WorkFactory,
    verified_user,
)
from tests.helpers.snapshot import work_state_of_oa
from tests.helpers.workers import wait_for
from works.ingest.openalex.normalize import normalize_work
from works.ingest.upsert import upsert_works
from works.models import Work

pytestmark = pytest.mark.django_db


def logged_in(user, *, csrf=False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def follow_url(researcher, name="profiles:follow"):
    return reverse(name, args=[researcher.openalex_id])


def profile_text(client, researcher) -> str:
    return client.get(
        reverse("profiles:detail", args=[researcher.openalex_id])
    ).content.decode()


# --- the profile's Actions section ----------------------------------------------


def test_the_actions_section_reads_as_the_reference_for_each_visitor():
    researcher = ResearcherFactory()
    anonymous = profile_text(Client(), researcher)
    assert "Decide how to stay connected" in anonymous
    assert "Follow researcher" in anonymous
    assert f"{reverse('account_login')}?next=" in anonymous
    assert "%23actions" in anonymous

    user = verified_user()
    page = profile_text(logged_in(user), researcher)
    assert f'action="{follow_url(researcher)}"' in page
    following.researcher_follow(user=user, researcher=researcher)
    page = profile_text(logged_in(user), researcher)
    assert f'action="{follow_url(researcher, "profiles:unfollow")}"' in page
    assert 'aria-pressed="true"' in page

    owner = verified_user()
    researcher_owner_add(researcher=researcher, user=owner, verification_level=2)
    page = profile_text(logged_in(owner), researcher)
    assert "You manage this profile, so you don’t follow it." in page
    assert follow_url(researcher) not in page


def test_a_plain_form_follows_and_unfollows_and_comes_back_to_the_profile():
    researcher, user = ResearcherFactory(), verified_user()
    client = logged_in(user)
    response = client.post(follow_url(researcher))
    assert response.status_code == 302
    assert response["Location"].endswith("#actions")
    assert Follow.objects.filter(user=user, researcher=researcher).exists()
    # Twice is once.
    client.post(follow_url(researcher))
    assert Follow.objects.filter(researcher=researcher).count() == 1
    client.post(follow_url(researcher, "profiles:unfollow"))
    assert not Follow.objects.exists()


def test_the_script_gets_the_new_count_and_the_next_action_as_json():
    researcher = ResearcherFactory()
    FollowFactory.create_batch(2, researcher=researcher)
    client = logged_in(verified_user())
    answer = client.post(follow_url(researcher), HTTP_ACCEPT="application/json")
    assert answer.json() == {
        "following": True,
        "followers": 3,
        "action": follow_url(researcher, "profiles:unfollow"),
    }
    answer = client.post(
        follow_url(researcher, "profiles:unfollow"), HTTP_ACCEPT="application/json"
    )
    assert answer.json()["followers"] == 2


def test_following_needs_login_post_and_csrf():
    researcher = ResearcherFactory()
    anonymous = Client().post(follow_url(researcher))
    assert anonymous.status_code == 302
    assert reverse("account_login") in anonymous["Location"]
    user = verified_user()
    assert logged_in(user).get(follow_url(researcher)).status_code == 405
    assert logged_in(user, csrf=True).post(follow_url(researcher)).status_code == 403
    assert not Follow.objects.exists()


def test_an_owner_cannot_follow_their_own_profile_nor_anyone_a_hidden_one():
    researcher, owner = ResearcherFactory(), verified_user()
    researcher_owner_add(researcher=researcher, user=owner, verification_level=2)
    with pytest.raises(following.FollowRefused, match="manage this profile"):
        following.researcher_follow(user=owner, researcher=researcher)
    answer = logged_in(owner).post(
        follow_url(researcher), HTTP_ACCEPT="application/json"
    )
    assert answer.status_code == 400
    curation.profile_visibility_set(researcher=researcher, user=owner, hidden=True)
    assert logged_in(verified_user()).post(follow_url(researcher)).status_code == 404
    assert not Follow.objects.exists()


# --- counts and trust agree -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_follower_counts_and_the_trust_signal_agree_after_follows_and_unfollows(
    celery_worker_process,
):
    researcher = ResearcherFactory()
    researcher_trust_update(researcher_ids=[researcher.pk])
    users = [verified_user() for _ in range(3)]
    for user in users:
        logged_in(user).post(follow_url(researcher))
    logged_in(users[0]).post(follow_url(researcher, "profiles:unfollow"))

    def followers_signal() -> str:
        breakdown = Researcher.objects.get(pk=researcher.pk).trust_breakdown
        signals = {s["key"]: s for s in breakdown.get("signals", [])}
        return signals.get("followers", {}).get("detail", "")

    # The worker recomputes after each commit; the last one sees two.
    wait_for(
        lambda: followers_signal().startswith("2 followers:"),
        what="the followers signal counting 2",
    )
    page = profile_text(Client(), researcher)
    assert '<span class="stat__value" data-follow-count>2</span>' in page


# --- the feed -----------------------------------------------------------------


def recent_work_record() -> dict:
    record = work_state_of_oa()
    day = timezone.localdate() - timedelta(days=3)
    record["publication_date"] = day.isoformat()
    record["publication_year"] = day.year
    return record


# Committed, as an import is: the upsert stamps ``created_at`` with now(), the
# start of its transaction, which must come after the follow.
@pytest.mark.django_db(transaction=True)
def test_a_work_imported_for_a_followed_researcher_appears_in_the_feed():
    record = recent_work_record()
    author_id = record["authorships"][0]["author"]["id"].rsplit("/", 1)[-1]
    researcher = ResearcherFactory(openalex_id=author_id)
    user = verified_user()
    following.researcher_follow(user=user, researcher=researcher)
    client = logged_in(user)
    assert "No new work yet" in client.get(reverse("following:feed")).content.decode()

    upsert_works([normalize_work(record)])

    feed = client.get(reverse("following:feed")).content.decode()
    assert "The state of OA" in feed
    assert [w.openalex_id for w in feed_works(user=user)] == [
        record["id"].rsplit("/", 1)[-1]
    ]


def test_the_feed_leaves_out_backfills_works_known_before_and_hidden_things():
    researcher, user = ResearcherFactory(), verified_user()
    today = timezone.localdate()
    known_before = WorkFactory(title="Known before", publication_date=today)
    AuthorshipFactory(work=known_before, researcher=researcher)
    Work.objects.filter(pk=known_before.pk).update(
        created_at=timezone.now() - timedelta(days=1)
    )
    following.researcher_follow(user=user, researcher=researcher)
    fresh = WorkFactory(title="Fresh", publication_date=today - timedelta(days=2))
    backfill = WorkFactory(
        title="Backfill", publication_date=today - timedelta(days=400)
    )
    hidden = WorkFactory(title="Hidden one", publication_date=today)
    for work in (fresh, backfill, hidden):
        AuthorshipFactory(work=work, researcher=researcher)
    owner = verified_user()
    researcher_owner_add(researcher=researcher, user=owner, verification_level=2)
    curation.work_hide(researcher=researcher, user=owner, work=hidden)

    assert [w.title for w in feed_works(user=user)] == ["Fresh"]

    curation.profile_visibility_set(researcher=researcher, user=owner, hidden=True)
    assert list(feed_works(user=user)) == []


def test_the_feed_lists_a_work_once_and_newest_first():
    researcher, other, user = ResearcherFactory(), ResearcherFactory(), verified_user()
    following.researcher_follow(user=user, researcher=researcher)
    following.researcher_follow(user=user, researcher=other)
    today = timezone.localdate()
    shared = WorkFactory(title="Shared", publication_date=today - timedelta(days=5))
    newer = WorkFactory(title="Newer", publication_date=today - timedelta(days=1))
    AuthorshipFactory(work=shared, researcher=researcher, position=0)
    AuthorshipFactory(work=shared, researcher=other, position=1)
    AuthorshipFactory(work=newer, researcher=other)
    assert [w.title for w in feed_works(user=user)] == ["Newer", "Shared"]


def test_whom_i_follow_lists_them_with_unfollow_and_needs_login():
    user = verified_user()
    researcher = ResearcherFactory(display_name="Ada Followed")
    following.researcher_follow(user=user, researcher=researcher)
    page = logged_in(user).get(reverse("following:list")).content.decode()
    assert "Ada Followed" in page
    assert follow_url(researcher, "profiles:unfollow") in page
    assert Client().get(reverse("following:list")).status_code == 302
    assert Client().get(reverse("following:feed")).status_code == 302


# --- the weekly digest ----------------------------------------------------------


def test_the_digest_is_off_by_default_and_switched_from_the_feed():
    user = verified_user()
    client = logged_in(user)
    assert (
        "Weekly e-mail: off" in client.get(reverse("following:feed")).content.decode()
    )
    client.post(reverse("following:digest_switch"), {"enabled": "1"})
    assert FollowDigest.objects.get(user=user).is_enabled
    client.post(reverse("following:digest_switch"), {"enabled": "0"})
    assert not FollowDigest.objects.get(user=user).is_enabled


@pytest.mark.django_db(transaction=True)
def test_the_digest_lists_the_new_work_and_its_link_unsubscribes_without_login(
    celery_worker_process, sent_mail
):
    from profiles.tasks import follow_digests_send_task

    researcher, user = ResearcherFactory(), verified_user(email="reader@example.org")
    quiet = verified_user(email="quiet@example.org")  # never turned it on
    for reader in (user, quiet):
        following.researcher_follow(user=reader, researcher=researcher)
    digest.follow_digest_set(user=user, enabled=True)
    owner = verified_user()
    researcher_owner_add(researcher=researcher, user=owner, verification_level=2)
    today = timezone.localdate()
    for title in ("A <b>bold</b> new result", "Not mine at all"):
        AuthorshipFactory(
            work=WorkFactory(title=title, publication_date=today), researcher=researcher
        )
    curation.work_hide(
        researcher=researcher,
        user=owner,
        work=Work.objects.get(title="Not mine at all"),
    )

    assert follow_digests_send_task.delay().get(timeout=60) == 1

    mail = sent_mail.wait_for(to="reader@example.org", subject="New works")
    assert "A bold new result" in mail.body
    assert "Not mine at all" not in mail.body
    assert not [m for m in sent_mail.messages() if "quiet@example.org" in m.to]
    [unsubscribe] = [link for link in mail.links() if "/feed/unsubscribe/" in link]
    path = unsubscribe.split("://", 1)[1].split("/", 1)[1]
    response = Client().get("/" + path)
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert not FollowDigest.objects.get(user=user).is_enabled
    # Nothing new since: a second run sends nothing.
    assert follow_digests_send_task.delay().get(timeout=60) == 0


def test_a_forged_unsubscribe_link_changes_nothing():
    user = verified_user()
    digest.follow_digest_set(user=user, enabled=True)
    token = digest.follow_digest_unsubscribe_token(user=user)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = Client().get(reverse("following:digest_unsubscribe", args=[forged]))
    assert response.status_code == 400
    assert FollowDigest.objects.get(user=user).is_enabled


# --- the cost of the profile ----------------------------------------------------


def test_following_adds_a_fixed_number_of_queries_to_the_profile(
    django_assert_num_queries,
):
    few, many = ResearcherFactory(), ResearcherFactory()
    FollowFactory.create_batch(1, researcher=few)
    FollowFactory.create_batch(40, researcher=many)
    user = verified_user()
    client = logged_in(user)
    following.researcher_follow(user=user, researcher=many)
    client.get("/")

    def queries(researcher) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert (
                client.get(
                    reverse("profiles:detail", args=[researcher.openalex_id])
                ).status_code
                == 200
            )
        return len(captured)

    assert queries(few) == queries(many)
