"""The works we hold linked to an author that their works walk did not list
(``works.ingest.openalex.held``): each is looked up on its own after the
walk, and its own record decides. A work OpenAlex merged is merged into the
survivor; one it no longer attributes to the author loses the link; one
listing them past the 100th place (the walk's filter stops there) keeps it;
one OpenAlex does not answer stays, with a warning."""

import random
from html import escape
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from profiles.selectors import researcher_profile
from tests.factories import AuthorshipFactory, ResearcherFactory
from tests.helpers.openalex import (
    MANY_AUTHORS,
    PRIEM,
    PRIEM_WORKS_FILTER,
    Answer,
    catalog_state,
    many_authors_work,
    priem_pages_without,
    recorded,
    short,
)
from works.ingest.driver import run_execute
from works.ingest.openalex.held import held_unlisted, listed_with
from works.ingest.openalex.normalize import normalize_work
from works.ingest.runs import import_run_create
from works.ingest.upsert import upsert_records
from works.models import Authorship, ImportRun, Work, WorkRedirect

pytestmark = pytest.mark.django_db

STATE_OF_OA = "W2741809807"
HOTSPOTS = "W2162348455"  # re-pointed to him in his walk; not in the recorded work
# A duplicate of the State of OA that OpenAlex merged into it (constructed:
# no recorded answer names it; its look-up answers 301 to the survivor).
DUPLICATE = "W9100000001"
# Where the 133-author work names him, and where the constructed variant
# below moves him: past the 100 authors the walk's filter matches.
PRIEM_PLACE, FAR_DOWN = 46, 110
NOT_FOUND = Answer(status=404, body={"error": "Not found"})


def import_openalex(*args) -> str:
    out = StringIO()
    call_command("import_openalex", *args, "--sync-trust", stdout=out)
    return out.getvalue()


def hold(raw: dict) -> None:
    """Store ``raw`` through the one upsert path, as an earlier import did."""
    upsert_records([normalize_work(raw)])


def duplicate_of_state_of_oa() -> dict:
    """The recorded State of OA under the duplicate's id."""
    work = recorded("W2741809807.json")
    work["id"] = work["ids"]["openalex"] = f"https://openalex.org/{DUPLICATE}"
    return work


def many_authors_far_down() -> dict:
    """The 133-author work (constructed) with his authorship moved from
    place 47 to place 111."""
    work = many_authors_work()
    authorships = work["authorships"]
    assert short(authorships[PRIEM_PLACE]["author"]["id"]) == PRIEM
    authorships.insert(FAR_DOWN, authorships.pop(PRIEM_PLACE))
    return work


def held_look_ups(openalex) -> list[str]:
    """The single look-ups of works made so far."""
    return [
        r.path.removeprefix("/works/")
        for r in openalex.made()
        if r.path.startswith("/works/")
    ]


def linked_to_priem(work_id: str) -> list[int]:
    return list(
        Authorship.objects.filter(
            work__openalex_id=work_id, researcher__openalex_id=PRIEM
        ).values_list("position", flat=True)
    )


def test_a_held_duplicate_openalex_merged_becomes_one_work(priem_recorded, client):
    import_openalex("--author", PRIEM)
    hold(duplicate_of_state_of_oa())
    assert researcher_profile(openalex_id=PRIEM).works_count == 5
    location = f"https://api.openalex.org/works/{STATE_OF_OA}"
    priem_recorded.single(
        f"works/{DUPLICATE}", Answer(status=301, headers={"Location": location})
    )
    priem_recorded.single(f"works/{STATE_OF_OA}", recorded("W2741809807.json"))

    import_openalex("--author", PRIEM)

    run = ImportRun.objects.order_by("pk").last()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.rejected_count == 0
    assert not Work.objects.filter(openalex_id=DUPLICATE).exists()
    survivor = Work.objects.get(openalex_id=STATE_OF_OA)
    assert WorkRedirect.objects.get(old_openalex_id=DUPLICATE).work == survivor
    assert survivor.doi == "10.7717/peerj.4375"
    assert linked_to_priem(STATE_OF_OA) == [1]
    assert Work.objects.count() == 4
    assert researcher_profile(openalex_id=PRIEM).works_count == 4
    html = client.get(f"/researchers/{PRIEM}/").content.decode()
    assert html.count(escape(survivor.title)) == 1
    # Only the work the walk did not list was looked up (the redirect
    # followed within the one call).
    assert held_look_ups(priem_recorded) == [DUPLICATE, STATE_OF_OA]
    assert run.calls["single"] == 2


def test_a_held_work_whose_record_no_longer_names_the_author_loses_the_link(
    priem_recorded,
):
    import_openalex("--author", PRIEM)
    assert linked_to_priem(HOTSPOTS) == [4]
    # OpenAlex no longer attributes it to him: his walk leaves it out, and
    # its record (as recorded) names another last author.
    priem_recorded.walk(
        "works", priem_pages_without(HOTSPOTS), filter=PRIEM_WORKS_FILTER
    )
    priem_recorded.single(f"works/{HOTSPOTS}", recorded("W2162348455_2026-03-02.json"))

    import_openalex("--author", PRIEM)

    run = ImportRun.objects.order_by("pk").last()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert linked_to_priem(HOTSPOTS) == []
    last = Authorship.objects.get(work__openalex_id=HOTSPOTS, position=4)
    assert (last.raw_author_name, last.researcher.openalex_id) == (
        "Jennifer Kent",
        "A5003153552",
    )
    assert Work.objects.count() == 4
    assert researcher_profile(openalex_id=PRIEM).works_count == 3
    assert held_look_ups(priem_recorded) == [HOTSPOTS]
    assert run.counts["works"]["updated"] == 1


def test_a_held_work_naming_the_author_past_the_100th_place_stays_linked(
    priem_recorded,
):
    import_openalex("--author", PRIEM)
    hold(many_authors_far_down())
    priem_recorded.single(f"works/{MANY_AUTHORS}", many_authors_far_down())

    import_openalex("--author", PRIEM)

    run = ImportRun.objects.order_by("pk").last()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert linked_to_priem(MANY_AUTHORS) == [FAR_DOWN]
    work = Work.objects.get(openalex_id=MANY_AUTHORS)
    assert work.author_count == 133
    # Stored through the one path: its coauthors are fetched and linked.
    assert not Authorship.objects.filter(work=work, researcher=None).exists()
    assert researcher_profile(openalex_id=PRIEM).works_count == 5
    assert held_look_ups(priem_recorded) == [MANY_AUTHORS]


def test_a_second_identical_import_changes_nothing(priem_recorded):
    import_openalex("--author", PRIEM)
    hold(many_authors_far_down())
    priem_recorded.single(f"works/{MANY_AUTHORS}", many_authors_far_down())
    import_openalex("--author", PRIEM)
    before = catalog_state()

    output = import_openalex("--author", PRIEM)

    run = ImportRun.objects.order_by("pk").last()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert (run.created_count, run.updated_count) == (0, 0)
    assert run.unchanged_count == 1 + 4 + 1  # the author, his works, the held one
    assert catalog_state() == before
    # Looked up again (it still is not listed), and nothing else is fetched.
    assert run.calls == {"single": 2, "list": 3}
    assert "total               0        0          6         0" in output


def test_a_held_work_openalex_does_not_answer_is_kept_with_a_warning(
    priem_recorded,
):
    import_openalex("--author", PRIEM)
    priem_recorded.walk(
        "works", priem_pages_without(HOTSPOTS), filter=PRIEM_WORKS_FILTER
    )
    priem_recorded.single(f"works/{HOTSPOTS}", NOT_FOUND)

    output = import_openalex("--author", PRIEM)

    run = ImportRun.objects.order_by("pk").last()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert linked_to_priem(HOTSPOTS) == [4]
    assert researcher_profile(openalex_id=PRIEM).works_count == 4
    warning = (
        f"OpenAlex did not answer work {HOTSPOTS} (HTTP 404), which we hold "
        f"linked to author {PRIEM} but their works list does not name; kept "
        "as it is"
    )
    assert run.checkpoint["warnings"] == [warning]
    assert f"warning: {warning}" in output


def test_a_run_killed_before_the_held_works_does_not_look_up_listed_ones_on_resume(
    priem_recorded,
):
    import_openalex("--author", PRIEM)
    priem_recorded.walk(
        "works", priem_pages_without(HOTSPOTS), filter=PRIEM_WORKS_FILTER
    )
    priem_recorded.single(
        f"works/{HOTSPOTS}",
        *[Answer(status=500, body="upstream exploded")] * 3,
        recorded("W2162348455_2026-03-02.json"),
    )

    with pytest.raises(CommandError, match="continue it with --resume"):
        import_openalex("--author", PRIEM)

    run = ImportRun.objects.order_by("pk").last()
    assert run.status == ImportRun.Status.FAILED
    # The walk is committed; the step after it is where the run stopped.
    assert (run.checkpoint["step"], run.checkpoint["held"]) == ("held", None)
    assert run.checkpoint["author"] == PRIEM

    import_openalex("--resume", run.pk)

    run.refresh_from_db()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert linked_to_priem(HOTSPOTS) == []
    # The three works the walk listed before the kill were not looked up.
    assert held_look_ups(priem_recorded) == [HOTSPOTS] * 4
    walks = [r for r in priem_recorded.made() if r.path == "/works"]
    assert len(walks) == 2 * 3  # each import's walk once, none on resume


def test_a_run_cut_after_every_page_looks_up_only_what_the_walk_did_not_list(
    priem_recorded,
):
    import_openalex("--author", PRIEM)
    priem_recorded.walk(
        "works", priem_pages_without(HOTSPOTS), filter=PRIEM_WORKS_FILTER
    )
    priem_recorded.single(f"works/{HOTSPOTS}", recorded("W2162348455_2026-03-02.json"))
    run = import_run_create(source="openalex-api", parameters={"authors": [PRIEM]})

    executions = 0
    while run.status != ImportRun.Status.SUCCEEDED:
        # Each execution is a new process as far as the importer knows: what
        # the walk listed comes from the checkpoint only.
        run = run_execute(run, progress=False, time_budget=0, sync_trust=True)
        executions += 1
        assert executions <= 10

    # The look-up, two pages, the empty last page, the held work, the end.
    assert executions == 6
    assert held_look_ups(priem_recorded) == [HOTSPOTS]
    assert linked_to_priem(HOTSPOTS) == []


def test_look_ups_are_bounded_per_author_the_ones_the_walk_should_list_first(
    priem_recorded, settings
):
    settings.OPENALEX_HELD_LOOKUPS_PER_AUTHOR = 1
    import_openalex("--author", PRIEM)
    hold(many_authors_far_down())
    priem_recorded.walk(
        "works", priem_pages_without(HOTSPOTS), filter=PRIEM_WORKS_FILTER
    )
    priem_recorded.single(f"works/{HOTSPOTS}", NOT_FOUND)

    import_openalex("--author", PRIEM)

    run = ImportRun.objects.order_by("pk").last()
    assert run.status == ImportRun.Status.SUCCEEDED
    # He is the 5th author of the one: the walk should have listed it. The
    # other names him 111th, where the walk's filter does not look.
    assert held_look_ups(priem_recorded) == [HOTSPOTS]
    assert run.checkpoint["warnings"][0] == (
        f"author {PRIEM}: 2 works we hold linked to them are not in their "
        "OpenAlex works list; looked up 1 (OPENALEX_HELD_LOOKUPS_PER_AUTHOR), "
        "the others wait for a later import"
    )
    assert linked_to_priem(MANY_AUTHORS) == [FAR_DOWN]


def test_the_works_a_walk_listed_are_kept_compactly():
    numbers = random.Random(7).sample(range(1_000_000_000, 4_500_000_000), 3000)
    ids = [f"W{n}" for n in numbers]
    pages = [ids[:200], ids[200:]]
    listed = ""
    for page in pages:
        listed = listed_with(
            listed, [{"id": f"https://openalex.org/{i}"} for i in page]
        )
    assert len(listed) < 5 * len(ids)  # a JSON list takes 14 characters an id
    researcher = ResearcherFactory()
    AuthorshipFactory(researcher=researcher, work__openalex_id=ids[1234])
    AuthorshipFactory(researcher=researcher, work__openalex_id="W5")
    AuthorshipFactory(researcher=researcher, work__openalex_id=None)

    unlisted = held_unlisted(author_id=researcher.openalex_id, listed=listed, run_id=1)

    assert unlisted == ["W5"]
