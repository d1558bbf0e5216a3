"""Researcher records in the admin, for moderators: found by name, ORCID iD
or OpenAlex id, shown with their works and close collaborators. Read-only:
the sources own these rows (imports, merges and, once claimed, the owner's
curation change them, each recorded), so no hand edit fights an import."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from bzpeer.admin_tables import SourceOwnedAdmin
from works.ingest.identifiers import normalize_orcid, short_openalex_id
from works.text import normalize_name

from . import selectors
from .models import Researcher

WORKS_SHOWN = 20


@admin.register(Researcher)
class ResearcherAdmin(SourceOwnedAdmin):
    list_display = (
        "display_name",
        "openalex_id",
        "orcid",
        "affiliation",
        "listed_works_count",
        "trust_score",
        "is_claimed",
        "is_sample",
    )
    list_select_related = ("affiliation",)
    list_filter = ("is_claimed", "verification_level", "is_sample")
    search_fields = ("=openalex_id", "=orcid", "search_name")
    search_help_text = "A name, an ORCID iD or an OpenAlex author id."
    fields = (
        "display_name",
        "openalex_id",
        "orcid",
        "affiliation",
        "headline",
        "bio",
        "is_open_to_collaborate",
        "is_claimed",
        "verification_level",
        "trust_score",
        "trust_label",
        "listed_works_count",
        "works_count",
        "cited_by_count",
        "close_collaborators_count",
        "fetched_at",
        "view_count",
        "is_sample",
        "public_page",
        "works",
        "close_collaborators",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        """An OpenAlex id or ORCID iD is looked up on its unique index; a
        name searches ``search_name`` word by word (the trigram index), as
        the site's search does. One ``OR`` across all three would scan."""
        term = search_term.strip()
        openalex_id = short_openalex_id(term, prefix="A")
        if openalex_id:
            return queryset.filter(openalex_id=openalex_id), False
        orcid = normalize_orcid(term)
        if orcid:
            return queryset.filter(orcid=orcid), False
        for word in normalize_name(term).split()[:6]:
            queryset = queryset.filter(search_name__contains=word)
        return queryset, False

    @admin.display(description="Public page")
    def public_page(self, researcher: Researcher) -> str:
        if not researcher.openalex_id:
            return "—"
        url = reverse("profiles:detail", args=[researcher.openalex_id])
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.display(description=f"Works (newest {WORKS_SHOWN})")
    def works(self, researcher: Researcher) -> str:
        works = selectors.researcher_works(researcher=researcher, sort="year")[
            :WORKS_SHOWN
        ]
        if not works:
            return "No works held."
        listing = format_html_join(
            "",
            "<li>{} · {}</li>",
            ((work.publication_year or "n.d.", work.title) for work in works),
        )
        every = (
            reverse("admin:works_authorship_changelist")
            + f"?researcher__id__exact={researcher.pk}"
        )
        return format_html(
            '<ol>{}</ol><a href="{}">Every authorship of this record</a>',
            listing,
            every,
        )

    @admin.display(description="Close collaborators (strongest)")
    def close_collaborators(self, researcher: Researcher) -> str:
        collaborators = selectors.researcher_close_collaborators(researcher=researcher)
        if not collaborators:
            return "None."
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> · tie strength {}</li>',
                (
                    (
                        reverse(
                            "admin:profiles_researcher_change",
                            args=[c.researcher.pk],
                        ),
                        c.researcher.display_name,
                        f"{c.tie_strength:.2f}",
                    )
                    for c in collaborators
                ),
            ),
        )
