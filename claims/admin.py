"""Moderation in the admin: the claim queue, the evidence beside the record
(the claimant's ORCID sign-in and institutional e-mail, as they stand now),
conflicts flagged, and approve / reject with a required reason, one by one or
in bulk. Every decision goes through ``claims.services`` (exactly as a test
calls it) and leaves a ``ClaimEvent``, shown inline and never editable. The
researcher's own admin page lists its claims (``ResearcherClaimInline``,
added in ``ClaimsConfig.ready``)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from profiles.selectors import researcher_search
from profiles.templatetags.catalog_tags import http_url

from .models import Claim, ClaimEvent
from .selectors import claim_conflicts, claim_evidence_found, claims_with_evidence
from .services import ClaimRefused, claim_approve, claim_reject


class ClaimEventInline(admin.TabularInline):
    """The claim's audit trail: who did what, when and why."""

    model = ClaimEvent
    extra = 0
    fields = readonly_fields = (
        "created_at",
        "actor",
        "kind",
        "from_state",
        "to_state",
        "reason",
        "evidence_url",
    )
    ordering = ("created_at", "id")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EvidenceFilter(admin.SimpleListFilter):
    """Claims by the strong evidence their claimants hold now (the queue's
    pending claims have no stored evidence yet: approval stores it)."""

    title = "evidence"
    parameter_name = "evidence"

    def lookups(self, request, model_admin):
        return (
            ("orcid", "ORCID sign-in matches the record"),
            ("institution_email", "Verified e-mail at the affiliation's domain"),
            ("none", "No strong evidence"),
        )

    def queryset(self, request, queryset):
        if self.value() == "orcid":
            return queryset.filter(orcid_match=True)
        if self.value() == "institution_email":
            return queryset.filter(email_match=True, orcid_match=False)
        if self.value() == "none":
            return queryset.filter(orcid_match=False, email_match=False)
        return queryset


class ResearcherClaimInline(admin.TabularInline):
    """The claims on a researcher record, on its admin page: read-only, each
    a link to its own page where it is decided."""

    model = Claim
    extra = 0
    fields = readonly_fields = (
        "claim_link",
        "state",
        "claimant_email",
        "evidence",
        "verification_level",
        "created_at",
        "decided_at",
    )
    ordering = ("-created_at", "-id")
    can_delete = False
    show_change_link = False
    verbose_name_plural = "claims"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Claim")
    def claim_link(self, claim: Claim) -> str:
        return format_html(
            '<a href="{}">claim {}</a>',
            reverse("admin:claims_claim_change", args=[claim.pk]),
            claim.pk,
        )

    @admin.display(description="Claimant")
    def claimant_email(self, claim: Claim) -> str:
        return claim.user.email or claim.user.get_username()


class ApproveForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Why the evidence holds; the claimant reads it.",
    )


class RejectForm(forms.Form):
    reason_code = forms.ChoiceField(choices=Claim.ReasonCode.choices)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="What is missing or wrong; the claimant reads it.",
    )


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "researcher",
        "claimant",
        "state",
        "evidence_now",
        "created_at",
    )
    list_filter = ("state", EvidenceFilter, "created_at")
    list_select_related = ("researcher", "user")
    # Searched by get_search_results; the box shows only when this is set.
    search_fields = ("researcher__search_name",)
    search_help_text = "A researcher's name, ORCID iD or OpenAlex id, or an e-mail."
    ordering = ("created_at", "id")
    actions = ("approve_claims", "reject_claims")
    inlines = (ClaimEventInline,)
    fields = readonly_fields = (
        "researcher",
        "record_evidence",
        "user",
        "state",
        "note",
        "homepage_link",
        "claimant_evidence",
        "evidence",
        "evidence_orcid",
        "conflicts",
        "reason_code",
        "reason",
        "verification_level",
        "created_at",
        "decided_at",
        "decided_by",
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return claims_with_evidence(super().get_queryset(request))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Every field is read-only: a claim changes by decisions (the actions),
        # never by a saved form.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Claimant")
    def claimant(self, claim: Claim) -> str:
        return claim.user.email or claim.user.get_username()

    @admin.display(description="Homepage")
    def homepage_link(self, claim: Claim) -> str:
        if not claim.homepage_url:
            return "—"
        # Validated http(s) at submission, checked again here (a row written
        # another way must not put a javascript: URL in the moderator's
        # page): anything else is shown as text. rel keeps the window safe.
        homepage = http_url(claim.homepage_url)
        if not homepage:
            return claim.homepage_url
        return format_html(
            '<a href="{}" rel="noopener noreferrer nofollow">{}</a>',
            homepage,
            homepage,
        )

    @admin.display(description="The record")
    def record_evidence(self, claim: Claim) -> str:
        researcher = claim.researcher
        return format_html(
            "ORCID {} · affiliation {} · {} works listed · verification L{}",
            researcher.orcid or "none",
            researcher.affiliation.display_name if researcher.affiliation else "none",
            researcher.listed_works_count,
            researcher.verification_level,
        )

    @admin.display(description="Evidence now")
    def evidence_now(self, claim: Claim) -> str:
        if getattr(claim, "orcid_match", False):
            return "ORCID"
        if getattr(claim, "email_match", False):
            return "institutional e-mail"
        return "—"

    @admin.display(description="The claimant's evidence")
    def claimant_evidence(self, claim: Claim) -> str:
        """What an approval now would rest on: an ORCID sign-in whose iD is
        the record's, a verified e-mail at the affiliation's domain (strong
        evidence, L3), or an address there still unverified."""
        found = claim_evidence_found(user=claim.user, researcher=claim.researcher)
        notes: list[tuple[str]] = []
        if found.orcid_matches:
            notes.append(
                (
                    f"strong evidence: ORCID sign-in {found.record_orcid} matches the "
                    "record",
                )
            )
        elif found.orcid_ids:
            notes.append(
                (f"ORCID sign-in {', '.join(found.orcid_ids)}, not the record's iD",)
            )
        if found.verified_emails:
            notes.append((f"strong evidence: verified e-mail at {found.domain}",))
        elif found.unverified_emails:
            notes.append((f"e-mail at {found.domain}, not yet verified",))
        if not notes:
            return "none (an approval gives L2)"
        return format_html_join(mark_safe("<br>"), "{}", notes)  # noqa: S308

    @admin.display(description="Conflicts")
    def conflicts(self, claim: Claim) -> str:
        found = claim_conflicts(claim=claim)
        notes = []
        if found["on_record"]:
            notes.append(f"{found['on_record']} other claim(s) on this record")
        if found["by_claimant"]:
            notes.append(f"{found['by_claimant']} other open claim(s) by this user")
        if found["orcid_elsewhere"]:
            notes.append(
                "the claimant's ORCID iD belongs to another record: "
                + ", ".join(found["orcid_elsewhere"])
            )
        return "; ".join(notes) or "none"

    def get_search_results(self, request, queryset, search_term):
        """Claims on the researchers the site's search finds (a name, an
        ORCID iD, an OpenAlex id), or by the claimant with this e-mail."""
        term = search_term.strip()
        if not term:
            return queryset, False
        researchers = researcher_search(query=term).order_by().values("pk")
        return queryset.filter(
            Q(researcher__in=researchers) | Q(user__email__iexact=term)
        ), False

    def _decide(self, request, queryset, *, form_class, title, decide):
        """The intermediate page of a decision: the form with its required
        reason, then the decision claim by claim through the service."""
        form = form_class(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done, refused = 0, []
            for claim in queryset:
                try:
                    decide(claim, request.user, form.cleaned_data)
                    done += 1
                except ClaimRefused as why:
                    refused.append(f"claim {claim.pk}: {why}")
            if done:
                self.message_user(request, f"{title}: {done} claim(s).")
            for message in refused:
                self.message_user(request, message, level=messages.WARNING)
            return None
        return TemplateResponse(
            request,
            "admin/claims/claim/decide.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "claims": queryset,
                "form": form,
                "action": request.POST.get("action"),
                "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                "checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )

    @admin.action(description="Approve the selected claims", permissions=["change"])
    def approve_claims(self, request, queryset):
        return self._decide(
            request,
            queryset,
            form_class=ApproveForm,
            title="Approve claims",
            decide=lambda claim, moderator, data: claim_approve(
                claim=claim, moderator=moderator, reason=data["reason"]
            ),
        )

    @admin.action(description="Reject the selected claims", permissions=["change"])
    def reject_claims(self, request, queryset):
        return self._decide(
            request,
            queryset,
            form_class=RejectForm,
            title="Reject claims",
            decide=lambda claim, moderator, data: claim_reject(
                claim=claim,
                moderator=moderator,
                reason_code=data["reason_code"],
                reason=data["reason"],
            ),
        )
