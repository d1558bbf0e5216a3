"""A work with more than 100 authors: OpenAlex list answers cut its
``authorships`` at 100 and flag it ``is_authors_truncated``; the import looks
the work up on its own (a single call, free, never cut) before storing the
page, so the byline and ``author_count`` are whole."""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.helpers.openalex import (
    MANY_AUTHORS,
    Answer,
    many_authors_pages,
    many_authors_work,
    short,
)
from works.ingest.openalex.normalize import normalize_work
from works.models import Authorship, ImportRun, Work

pytestmark = pytest.mark.django_db

# Both works of the page: W2525778437 (2016, 133 authors) and W2741809807.
WORKS_FILTER = "publication_year:2016|2018"
STATE_OF_OA = "W2741809807"


def import_openalex(*args) -> str:
    out = StringIO()
    call_command("import_openalex", *args, "--sync-trust", stdout=out)
    return out.getvalue()


@pytest.fixture
def many_authors_recorded(openalex):
    openalex.walk("works", many_authors_pages(), filter=WORKS_FILTER)
    openalex.single(f"works/{MANY_AUTHORS}", many_authors_work())
    return openalex


def test_the_fixture_lists_the_work_cut_at_100_authors():
    listed = many_authors_pages()[0]["results"][0]
    full = many_authors_work()
    assert short(listed["id"]) == short(full["id"]) == MANY_AUTHORS
    assert listed["is_authors_truncated"] is True
    assert listed["authorships"] == full["authorships"][:100]
    assert normalize_work(listed).author_count == 100
    assert normalize_work(full).author_count == len(full["authorships"]) == 133


def test_a_work_cut_at_100_authors_is_stored_with_all_of_them(
    many_authors_recorded,
):
    import_openalex("--works-filter", WORKS_FILTER)

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.rejected_count == 0
    full = many_authors_work()
    work = Work.objects.get(openalex_id=MANY_AUTHORS)
    assert work.author_count == 133
    authorships = Authorship.objects.filter(work=work).order_by("position")
    assert [
        (a.position, a.raw_author_name, a.researcher.openalex_id) for a in authorships
    ] == [
        (position, a["raw_author_name"], short(a["author"]["id"]))
        for position, a in enumerate(full["authorships"])
    ]
    assert Work.objects.get(openalex_id=STATE_OF_OA).author_count == 9
    # One look-up, of the cut work only; its 133 authors fetched 100 a call.
    singles = [r.path for r in many_authors_recorded.made() if not r.is_list]
    assert singles == [f"/works/{MANY_AUTHORS}"]
    assert run.calls["single"] == 1
    batches = many_authors_recorded.made(by_ids="authors")
    assert [len(batch.ids) for batch in batches] == [100, 33]
    # The page asks for the flag.
    page = many_authors_recorded.made()[0]
    assert "is_authors_truncated" in page.params["select"].split(",")


def test_a_cut_work_openalex_no_longer_answers_is_stored_as_listed_with_a_warning(
    many_authors_recorded,
):
    many_authors_recorded.single(
        f"works/{MANY_AUTHORS}", Answer(status=404, body={"error": "Not found"})
    )

    output = import_openalex("--works-filter", WORKS_FILTER)

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.SUCCEEDED
    work = Work.objects.get(openalex_id=MANY_AUTHORS)
    assert work.author_count == Authorship.objects.filter(work=work).count() == 100
    warning = (
        f"OpenAlex did not answer work {MANY_AUTHORS} (HTTP 404); stored with the "
        "first 100 of its authors, as its list answer gives them"
    )
    assert run.checkpoint["warnings"] == [warning]
    assert warning in output
