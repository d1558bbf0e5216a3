"""Researcher records in the admin, for moderators: found by name, ORCID iD
or OpenAlex id, shown with their works and close collaborators. Read-only:
the sources own these rows (imports, merges and, once claimed, the owner's
curation change them, each recorded), so no hand edit fights an import."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from bzpeer.admin_tables import SourceOwnedAdmin

from . import selectors
from .models import HiddenWork, ProfileChange, Researcher, ResearcherOwner

WORKS_SHOWN = 20
CHANGES_SHOWN = 30

# Inlines of the researcher's admin page that other apps contribute (claims
# appends its claims inline in ``ClaimsConfig.ready``), so profiles never
# imports them.
researcher_admin_inlines: list[type[admin.options.InlineModelAdmin]] = []


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
    # Searched by get_search_results; the box shows only when this is set.
    search_fields = ("search_name",)
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
        "owners",
        "hidden_works",
        "change_log",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_inlines(self, request, obj):
        return [*super().get_inlines(request, obj), *researcher_admin_inlines]

    def get_search_results(self, request, queryset, search_term):
        """The site's own search (``profiles.selectors.researcher_search``)
        over every record: an OpenAlex id (merged ones too) or ORCID iD on
        its unique index, a name word by word on the trigram index. The
        admin's default ``OR`` of ``icontains`` would scan the table."""
        if not search_term.strip():
            return queryset, False
        return selectors.researcher_search(
            query=search_term, researchers=queryset
        ), False

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

    @admin.display(description="Owners")
    def owners(self, researcher: Researcher) -> str:
        owners = ResearcherOwner.objects.filter(researcher=researcher).select_related(
            "user"
        )
        if not owners:
            return "Unclaimed."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} · {} · since {}</li>",
                (
                    (
                        owner.user.email or owner.user.get_username(),
                        owner.get_verification_level_display(),
                        f"{owner.created_at:%Y-%m-%d}",
                    )
                    for owner in owners
                ),
            ),
        )

    @admin.display(description="Works hidden by the owner")
    def hidden_works(self, researcher: Researcher) -> str:
        hidden = HiddenWork.objects.filter(researcher=researcher).select_related("work")
        if not hidden:
            return "None."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} · “{}” · {}</li>",
                (
                    (
                        h.work.title,
                        h.reason or "no reason given",
                        f"{h.created_at:%Y-%m-%d}",
                    )
                    for h in hidden
                ),
            ),
        )

    @admin.display(description=f"Change log (latest {CHANGES_SHOWN})")
    def change_log(self, researcher: Researcher) -> str:
        changes = (
            ProfileChange.objects.filter(researcher=researcher)
            .select_related("actor")
            .order_by("-created_at", "-id")[:CHANGES_SHOWN]
        )
        if not changes:
            return "No change since import."
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                "<li>{} · {} ({}) · {}{}</li>",
                (
                    (
                        f"{change.created_at:%Y-%m-%d %H:%M}",
                        change.get_actor_role_display(),
                        change.actor.email if change.actor else "no account",
                        change.summary,
                        f" “{change.reason}”" if change.reason else "",
                    )
                    for change in changes
                ),
            ),
        )
