"""Citation export: BibTeX parsed by bibtexparser, CSL-JSON validated
against the CSL schema (tests/fixtures/csl), RIS read tag by tag; hidden
works absent; hostile titles still give valid files; downloads from the
pages."""

import json
import re
from pathlib import Path

import bibtexparser
import jsonschema
import pytest
from django.urls import reverse

from profiles import citations
from profiles.citations import (
    CITATION_FORMATS,
    Citations,
    researcher_citations,
    work_citations,
)
from profiles.models import HiddenWork, Researcher
from tests.factories import (
    AuthorshipFactory,
    ResearcherFactory,
    SourceFactory,
    WorkFactory,
)
from tests.helpers.paths import SAMPLE_SNAPSHOT
from works.models import Authorship, Source, Work
from works.services import snapshot_load

pytestmark = pytest.mark.django_db

CSL_SCHEMA = json.loads(
    (
        Path(__file__).resolve().parent.parent / "fixtures" / "csl" / "csl-data.json"
    ).read_text(encoding="utf-8")
)
HOSTILE_TITLE = (
    "Breaking {out} of \\LaTeX}} %comment\n@article{evil, title={x}} & $math$ "
    '#_^~ <script>alert("x")</script>\r\nER  - TY  - JOUR'
)


def parse_bibtex(content: bytes):
    library = bibtexparser.parse_string(content.decode("utf-8"))
    assert library.failed_blocks == []
    return library.entries


def parse_ris(content: bytes) -> list[dict[str, list[str]]]:
    """Records of a RIS file, each tag with its values; asserts every line
    is a tag line and every record runs TY … ER."""
    records, current = [], None
    for line in content.decode("utf-8").split("\r\n"):
        if not line:
            continue
        match = re.fullmatch(r"([A-Z][A-Z0-9])  - (.*)", line)
        assert match, f"not a RIS tag line: {line!r}"
        tag, value = match.groups()
        if tag == "TY":
            assert current is None, "TY inside a record"
            current = {}
        assert current is not None, f"{tag} outside a record"
        current.setdefault(tag, []).append(value)
        if tag == "ER":
            records.append(current)
            current = None
    assert current is None, "a record without ER"
    return records


def validate_csl(content: bytes) -> list[dict]:
    items = json.loads(content.decode("utf-8"))
    jsonschema.validate(items, CSL_SCHEMA)
    return items


@pytest.fixture
def reference():
    run = snapshot_load(
        path=SAMPLE_SNAPSHOT, sample=True, progress=False, sync_trust=True
    )
    assert run.rejected_count == 0
    return Researcher.objects.get(display_name="Bingxuan Wang")


def test_the_contract():
    assert CITATION_FORMATS == ("bibtex", "ris", "csl-json")
    work = WorkFactory()
    for fmt in CITATION_FORMATS:
        result = work_citations(work=work, fmt=fmt)
        assert isinstance(result, Citations)
        assert isinstance(result.content, bytes)
        assert "charset=utf-8" in result.content_type
    with pytest.raises(ValueError):
        work_citations(work=work, fmt="endnote")
    with pytest.raises(ValueError):
        researcher_citations(researcher=ResearcherFactory(), fmt="BibTeX")


def test_the_reference_researchers_bibtex_parses_with_every_field(reference):
    result = researcher_citations(researcher=reference, fmt="bibtex")

    entries = parse_bibtex(result.content)
    assert result.filename == f"{reference.openalex_id}-works.bib"
    assert result.content_type == "application/x-bibtex; charset=utf-8"
    assert len(entries) == 4
    for entry in entries:
        fields = entry.fields_dict
        assert fields["title"].value.strip("{}")
        assert "Wang, Bingxuan" in fields["author"].value.split(" and ")
        assert re.fullmatch(r"20\d\d", fields["year"].value)
        venue = fields.get("journal") or fields.get("howpublished")
        assert venue is not None and venue.value
        assert "doi" in fields or "eprint" in fields
        assert re.fullmatch(r"[a-z]+20\d\d[a-z0-9]+", entry.key)
    years = sorted(int(entry.fields_dict["year"].value) for entry in entries)
    assert years == [2020, 2024, 2026, 2026]
    keys = [entry.key for entry in entries]
    assert len(set(keys)) == len(keys)
    # The same export twice is the same file.
    assert researcher_citations(researcher=reference, fmt="bibtex") == result


def test_the_reference_researchers_csl_json_is_valid_csl(reference):
    items = validate_csl(
        researcher_citations(researcher=reference, fmt="csl-json").content
    )

    assert len(items) == 4
    for item in items:
        assert item["title"]
        assert {"family": "Wang", "given": "Bingxuan"} in item["author"]
        assert item["issued"]["date-parts"][0][0] in (2020, 2024, 2026)
        assert item["container-title"]
        assert item.get("DOI") or item["note"].startswith("arXiv:")
        assert item["type"] in ("article", "article-journal")


def test_the_reference_researchers_ris_reads_tag_by_tag(reference):
    records = parse_ris(researcher_citations(researcher=reference, fmt="ris").content)

    assert len(records) == 4
    for record in records:
        for tag in ("TY", "TI", "AU", "PY", "ER"):
            assert tag in record, tag
        assert "Wang, Bingxuan" in record["AU"]
        assert record.get("JO") or record.get("T2")
        assert record.get("DO") or any(
            note.startswith("arXiv:") for note in record.get("N1", [])
        )


def test_a_journal_article_with_an_arxiv_id_in_every_format():
    researcher = ResearcherFactory(display_name="Ada Lovelace")
    work = WorkFactory(
        title="Notes on the Analytical Engine",
        type="article",
        publication_year=2024,
        doi="10.1234/engine.1",
        arxiv_id="2401.00001",
        source=SourceFactory(display_name="Journal of Engines", type="journal"),
    )
    AuthorshipFactory(
        work=work, researcher=researcher, position=0, raw_author_name="Ada Lovelace"
    )
    AuthorshipFactory(
        work=work, researcher=None, position=1, raw_author_name="Ludwig van Beethoven"
    )
    AuthorshipFactory(work=work, researcher=None, position=2, raw_author_name="Plato")

    (entry,) = parse_bibtex(work_citations(work=work, fmt="bibtex").content)
    fields = {name: field.value for name, field in entry.fields_dict.items()}
    assert entry.entry_type == "article"
    assert entry.key == "lovelace2024notes"
    assert fields["author"] == "Lovelace, Ada and van Beethoven, Ludwig and Plato"
    assert fields["journal"] == "Journal of Engines"
    assert fields["doi"] == "10.1234/engine.1"
    assert (fields["eprint"], fields["archivePrefix"]) == ("2401.00001", "arXiv")
    assert fields["url"] == "https://doi.org/10.1234/engine.1"

    (item,) = validate_csl(work_citations(work=work, fmt="csl-json").content)
    assert item["type"] == "article-journal"
    assert item["author"] == [
        {"family": "Lovelace", "given": "Ada"},
        {"family": "van Beethoven", "given": "Ludwig"},
        {"literal": "Plato"},
    ]
    assert item["DOI"] == "10.1234/engine.1"
    assert item["note"] == "arXiv:2401.00001"

    (record,) = parse_ris(work_citations(work=work, fmt="ris").content)
    assert record["TY"] == ["JOUR"]
    assert record["JO"] == ["Journal of Engines"]
    assert record["AU"] == ["Lovelace, Ada", "van Beethoven, Ludwig", "Plato"]
    assert record["PY"] == ["2024"]


def test_an_arxiv_preprint_is_a_misc_entry_with_its_eprint():
    arxiv = SourceFactory(
        openalex_id=Source.ARXIV_OPENALEX_ID, display_name="arXiv (Cornell University)"
    )
    work = WorkFactory(type="preprint", doi=None, arxiv_id="2501.12345", source=arxiv)

    (entry,) = parse_bibtex(work_citations(work=work, fmt="bibtex").content)
    assert entry.entry_type == "misc"
    assert entry.fields_dict["howpublished"].value == "arXiv"
    assert entry.fields_dict["eprint"].value == "2501.12345"
    assert entry.fields_dict["url"].value == "https://arxiv.org/abs/2501.12345"
    (item,) = validate_csl(work_citations(work=work, fmt="csl-json").content)
    assert item["type"] == "article"
    (record,) = parse_ris(work_citations(work=work, fmt="ris").content)
    assert record["TY"] == ["UNPB"] and record["T2"] == ["arXiv"]


def test_hostile_titles_and_names_give_valid_files():
    work = WorkFactory(title=HOSTILE_TITLE, publication_year=2024)
    AuthorshipFactory(
        work=work,
        researcher=None,
        position=0,
        raw_author_name="Tom {and} Jerry\\ and\nSons, }Ltd{",
    )

    (entry,) = parse_bibtex(work_citations(work=work, fmt="bibtex").content)
    title = entry.fields_dict["title"].value
    assert "\n" not in title and "\\textbraceleft{}out\\textbraceright{}" in title
    assert len(entry.fields_dict["author"].value.split(" and ")) == 1

    (item,) = validate_csl(work_citations(work=work, fmt="csl-json").content)
    assert item["title"] == " ".join(HOSTILE_TITLE.split())

    (record,) = parse_ris(work_citations(work=work, fmt="ris").content)
    assert record["TI"] == [" ".join(HOSTILE_TITLE.split())]


def test_hidden_works_are_absent_from_the_researchers_export():
    researcher = ResearcherFactory()
    shown = WorkFactory(title="Shown work")
    hidden = WorkFactory(title="Hidden work")
    for work in (shown, hidden):
        AuthorshipFactory(work=work, researcher=researcher, position=0)
    HiddenWork.objects.create(researcher=researcher, work=hidden)

    for fmt in CITATION_FORMATS:
        content = researcher_citations(researcher=researcher, fmt=fmt).content
        assert b"Shown work" in content
        assert b"Hidden work" not in content


def test_a_large_team_is_cut_with_and_others():
    work = WorkFactory(author_count=3000)
    Authorship.objects.bulk_create(
        Authorship(work=work, position=i, raw_author_name=f"Author Number{i}")
        for i in range(citations.CITED_AUTHORS + 10)
    )

    (entry,) = parse_bibtex(work_citations(work=work, fmt="bibtex").content)
    names = entry.fields_dict["author"].value.split(" and ")
    assert len(names) == citations.CITED_AUTHORS + 1
    assert names[0] == "Number0, Author" and names[-1] == "others"


def test_the_export_costs_the_same_queries_for_3_or_500_works(
    django_assert_num_queries,
):
    small, large = ResearcherFactory(), ResearcherFactory()
    source = SourceFactory()
    for researcher, size in ((small, 3), (large, 500)):
        works = Work.objects.bulk_create(WorkFactory.build_batch(size, source=source))
        Authorship.objects.bulk_create(
            Authorship(work=work, researcher=researcher, position=0) for work in works
        )
    for researcher in (small, large):
        with django_assert_num_queries(2):
            researcher_citations(researcher=researcher, fmt="bibtex")


def test_the_profile_offers_the_downloads(client):
    researcher = ResearcherFactory()
    work = WorkFactory(title="Downloadable")
    AuthorshipFactory(work=work, researcher=researcher, position=0)

    html = client.get(reverse("profiles:detail", args=[researcher.openalex_id]))
    text = html.content.decode()
    assert "Cite these works:" in text
    for fmt in CITATION_FORMATS:
        url = reverse("profiles:citations", args=[researcher.openalex_id, fmt])
        assert f'href="{url}"' in text
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment; filename=")
        assert b"Downloadable" in response.content

    bib = client.get(
        reverse("profiles:citations", args=[researcher.openalex_id, "bibtex"])
    )
    assert bib["Content-Disposition"] == (
        f'attachment; filename="{researcher.openalex_id}-works.bib"'
    )


def test_the_work_page_offers_the_downloads(client):
    work = WorkFactory(title="One work", publication_year=2023)
    text = client.get(reverse("catalog:work", args=[work.openalex_id])).content.decode()

    assert "Cite this work:" in text
    url = reverse("catalog:work_citation", args=[work.pk, "ris"])
    assert f'href="{url}"' in text
    response = client.get(url)
    assert response.status_code == 200
    assert (
        response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    )
    assert response["Content-Disposition"].startswith('attachment; filename="')
    assert parse_ris(response.content)[0]["TI"] == ["One work"]


def test_downloads_refuse_unknown_formats_hidden_profiles_and_missing_works(client):
    hidden = ResearcherFactory(is_hidden=True)
    shown = ResearcherFactory()

    assert (
        client.get(f"/researchers/{shown.openalex_id}/citations.endnote").status_code
        == 404
    )
    assert (
        client.get(
            reverse("profiles:citations", args=[hidden.openalex_id, "bibtex"])
        ).status_code
        == 404
    )
    assert (
        client.get(
            reverse("catalog:work_citation", args=[987654321, "bibtex"])
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("profiles:citations", args=[shown.openalex_id, "bibtex"])
        ).status_code
        == 405
    )
