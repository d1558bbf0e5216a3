"""Titles keep the inline markup sources put in them (italic species names,
subscripts) and nothing else: any other tag stays visible text."""

import pytest

from profiles.templatetags.profile_tags import inline_markup
from tests.factories import ResearcherFactory, work_with_team


@pytest.mark.parametrize(
    ("title", "html"),
    [
        (
            "Growth of <i>E. coli</i> under CO<sub>2</sub>",
            "Growth of <i>E. coli</i> under CO<sub>2</sub>",
        ),
        ("<I>Upper</I> case", "<i>Upper</i> case"),
        ("Nested <b><i>both</i></b>", "Nested <b><i>both</i></b>"),
        # Everything else is text.
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        (
            '<i onmouseover="alert(1)">x</i>',
            "&lt;i onmouseover=&quot;alert(1)&quot;&gt;x&lt;/i&gt;",
        ),
        # Unpaired or crossed tags cannot change the page's structure.
        ("Unclosed <i>italic", "Unclosed &lt;i&gt;italic"),
        ("Stray </sub> close", "Stray &lt;/sub&gt; close"),
        (
            "<i><b>crossed</i></b>",
            "&lt;i&gt;<b>crossed&lt;/i&gt;</b>",
        ),
        ("Fish & <chips>", "Fish &amp; &lt;chips&gt;"),
        ("", ""),
    ],
)
def test_inline_markup(title, html):
    assert inline_markup(title) == html


@pytest.mark.django_db
def test_a_title_with_a_species_name_renders_it_in_italics(client):
    researcher = ResearcherFactory()
    work_with_team(
        researchers=[researcher],
        title='Life of <i>E. coli</i> <script>alert("t")</script>',
    )

    html = client.get(f"/researchers/{researcher.openalex_id}/").content.decode()

    assert (
        '<h3 class="work__title">Life of <i>E. coli</i> '
        "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;</h3>"
    ) in html
    assert "<script>alert" not in html
