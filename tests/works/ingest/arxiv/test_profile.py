"""An arXiv preprint on the profile page of a researcher it was attached to:
arXiv's strings are shown as text, whatever markup they carry, and names
attached to nobody are plain text."""

import pytest
from django.urls import reverse

from tests.factories import ResearcherFactory, work_with_team
from tests.helpers.arxiv import replay, run_arxiv
from tests.helpers.arxiv_server import recorded
from works.models import Work

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE_TITLE = "<script>alert('title')</script> Heat-bath walks"
HOSTILE_ABSTRACT = '<img src=x onerror="alert(1)"> Graphs on lattice points.'
HOSTILE_NAME = '"><svg onload=alert(2)>'


def hostile_feed() -> bytes:
    """The recorded 1605.08386 feed with markup (escaped, as XML requires)
    in its title and summary and a third author whose name is markup."""
    body = recorded("id_1605.08386_s0_m100.atom.xml").decode()
    title = "Heat-bath random walks with Markov bases"
    summary = body.split("<summary>")[1].split("</summary>")[0]
    body = body.replace(
        f"<title>{title}</title>", f"<title>{esc(HOSTILE_TITLE)}</title>"
    )
    body = body.replace(summary, esc(HOSTILE_ABSTRACT))
    last_author = "<name>Tobias Windisch</name>\n    </author>"
    body = body.replace(
        last_author,
        f"{last_author}\n    <author>\n      <name>{esc(HOSTILE_NAME)}</name>\n"
        "    </author>",
    )
    return body.encode()


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_arxivs_strings_are_escaped_on_the_profile_page(arxiv_api, client):
    stanley = ResearcherFactory(openalex_id="A1", display_name="Caprice Stanley")
    windisch = ResearcherFactory(openalex_id="A2", display_name="Tobias Windisch")
    work_with_team(researchers=[stanley, windisch], publication_year=2010)
    replay(
        arxiv_api,
        "",
        body=hostile_feed(),
        id_list="1605.08386",
        start=0,
        max_results=1,
    )
    run_arxiv(ids=["1605.08386"])
    work = Work.objects.get(arxiv_id="1605.08386")
    assert (work.title, work.abstract) == (HOSTILE_TITLE, HOSTILE_ABSTRACT)
    assert work.authorships.get(position=2).raw_author_name == HOSTILE_NAME

    response = client.get(reverse("profiles:detail", args=["A1"]))

    html = response.content.decode()
    assert response.status_code == 200
    assert (
        "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt; Heat-bath walks" in html
    )
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; Graphs on lattice" in html
    assert (
        '<span class="author author--unlinked">&quot;&gt;&lt;svg onload=alert(2)&gt;'
        "</span>" in html
    )
    for raw in ("<script>alert(", "<img src=x", "<svg onload"):
        assert raw not in html
    # The attached coauthor links to their profile; the venue reads arXiv.
    assert '<a class="author" href="/researchers/A2/">Tobias Windisch</a>' in html
    assert '<a href="https://arxiv.org/abs/1605.08386">arXiv</a>' in html
    assert "<span>arXiv</span>" in html
