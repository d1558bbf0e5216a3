"""The other ways to say what to import: ``--search`` with ``--pick`` /
``--all``, ``--orcid``, ``--works-filter`` and ``--institution``."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from profiles.models import Researcher
from tests.helpers.openalex import (
    PRIEM,
    PRIEM_ORCID,
    PRIEM_WORKS_FILTER,
    SNOWBALL_FILTER,
    priem,
    priem_pages,
    recorded,
    short,
    snowball_pages,
)
from works.models import ImportRun, Work

pytestmark = pytest.mark.django_db

SEARCH = "Jason"


def import_openalex(*args) -> str:
    out = StringIO()
    call_command("import_openalex", *args, "--sync-trust", stdout=out)
    return out.getvalue()


def list_answer(results: list[dict]) -> dict:
    """``results`` in the list-response format, as the recorded pages have
    it (constructed from recorded objects)."""
    meta = dict(recorded("list_works_cursor_page2_final_empty.json")["meta"])
    meta.update(count=len(results), next_cursor=None, page=1, per_page=10)
    return {"meta": meta, "results": results, "group_by": []}


@pytest.fixture
def search_recorded(priem_recorded):
    """A search for "Jason" answering Jason Priem's record and two other
    Jasons as OpenAlex embeds them in the recorded works."""
    pools = priem_recorded.pools["authors"]
    answer = list_answer([priem(), pools["A5002806249"], pools["A5015547427"]])
    priem_recorded.page("authors", answer, search=SEARCH, cursor="")
    return priem_recorded


def test_search_lists_the_candidates_and_imports_nothing_without_a_pick(
    search_recorded,
):
    output = import_openalex("--search", SEARCH)

    lines = output.splitlines()
    assert lines[0] == "Authors OpenAlex finds for 'Jason' (1 search call):"
    assert lines[1] == (
        "  1. Jason Priem (A5023888391): 62 works; OurResearch; topics: "
        "scientometrics and bibliometrics research, Research Data Management "
        "Practices, Wikis in Education and Collaboration"
    )
    assert lines[2] == "  2. Jason Smith (A5002806249): 0 works; no affiliation"
    assert lines[3] == "  3. Jason Riesa (A5015547427): 0 works; no affiliation"
    assert lines[4] == "Nothing imported: choose with --pick N [N ...] or --all."
    assert ImportRun.objects.count() == 0
    assert Researcher.objects.count() == 0
    search = search_recorded.made()[0]
    assert search.params == {
        "per-page": "10",
        "search": SEARCH,
        "select": "id,ids,orcid,display_name,display_name_alternatives,"
        "last_known_institutions,works_count,cited_by_count,summary_stats,"
        "topics,updated_date",
    }


def test_search_with_pick_imports_the_chosen_candidate(search_recorded):
    output = import_openalex("--search", SEARCH, "--pick", "1")

    run = ImportRun.objects.get()
    assert run.parameters == {"authors": [PRIEM], "search": SEARCH}
    assert run.status == ImportRun.Status.SUCCEEDED
    assert Work.objects.count() == 4
    assert Researcher.objects.get(openalex_id=PRIEM).fetched_at is not None
    assert f"Import run {run.pk} (openalex-api): succeeded" in output


def test_search_refuses_a_pick_beyond_the_list(search_recorded):
    with pytest.raises(CommandError, match="--pick takes positions 1 to 3, not 4"):
        import_openalex("--search", SEARCH, "--pick", "4")
    assert ImportRun.objects.count() == 0


def test_pick_without_search_is_refused():
    with pytest.raises(CommandError, match="choose among --search candidates"):
        import_openalex("--author", PRIEM, "--pick", "1")


def test_an_author_is_found_by_orcid(openalex):
    openalex.single(f"authors/https://orcid.org/{PRIEM_ORCID}", priem())
    openalex.walk("works", priem_pages(), filter=PRIEM_WORKS_FILTER)

    import_openalex("--orcid", f"https://orcid.org/{PRIEM_ORCID}")

    run = ImportRun.objects.get()
    assert run.parameters == {"orcids": [PRIEM_ORCID]}
    assert run.status == ImportRun.Status.SUCCEEDED
    assert Researcher.objects.get(orcid=PRIEM_ORCID).openalex_id == PRIEM
    assert Work.objects.count() == 4


def test_a_malformed_orcid_is_refused_before_any_call(openalex):
    with pytest.raises(CommandError, match="is not a valid ORCID iD"):
        import_openalex("--orcid", "0000-0001-6187-6611")
    assert openalex.made() == []


def test_a_works_filter_imports_the_works_and_fetches_coauthors_100_at_a_time(
    openalex,
):
    openalex.walk("works", snowball_pages(), filter=SNOWBALL_FILTER)

    import_openalex("--works-filter", SNOWBALL_FILTER)

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.parameters == {"works_filter": SNOWBALL_FILTER}
    works = snowball_pages()[0]["results"]
    assert Work.objects.count() == len(works) == 38
    author_ids = {short(a["author"]["id"]) for w in works for a in w["authorships"]}
    assert len(author_ids) == 128
    batches = openalex.made(by_ids="authors")
    assert [len(batch.ids) for batch in batches] == [100, 28]
    assert set(batches[0].ids) | set(batches[1].ids) == author_ids
    assert all(len(request.ids) <= 100 for request in openalex.made() if request.by_ids)
    assert set(Researcher.objects.values_list("openalex_id", flat=True)) == (author_ids)
    assert run.progress_total == 1 and run.progress_done == 1


def test_an_institution_s_authors_are_imported_with_their_works(openalex):
    institution = "I4200000001"  # OurResearch, Jason Priem's
    authors_filter = f"last_known_institutions.id:{institution}"
    page = list_answer([priem()])
    page["meta"].update(
        per_page=200, next_cursor=priem_pages()[1]["meta"]["next_cursor"]
    )
    openalex.walk(
        "authors",
        [page, recorded("list_works_cursor_page2_final_empty.json")],
        filter=authors_filter,
    )
    openalex.walk("works", priem_pages(), filter=PRIEM_WORKS_FILTER)

    import_openalex("--institution", f"https://openalex.org/{institution}")

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.parameters == {"institution": institution}
    assert Researcher.objects.get(openalex_id=PRIEM).fetched_at is not None
    assert Work.objects.count() == 4
    # Listed, not looked up one by one.
    assert "single" not in run.calls
    assert not [r for r in openalex.made() if r.path == f"/authors/{PRIEM}"]


def test_search_candidates_are_listed_without_terminal_control_characters(
    priem_recorded,
):
    author = priem()
    author["display_name"] = "Jason\x1b[2J\x1b]0;owned\x07 Priem"
    priem_recorded.page("authors", list_answer([author]), search=SEARCH, cursor="")

    output = import_openalex("--search", SEARCH)

    assert "\x1b" not in output and "\x07" not in output
    assert "  1. Jason[2J]0;owned Priem (A5023888391): 62 works" in output
