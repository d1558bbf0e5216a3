"""Pages of owner curation and the public change log: the owner's "Manage
profile" page, hiding and restoring works, hiding the profile, merging two
owned records, the change log and undo. Each view parses its input, calls
``profiles.curation`` and redirects with what happened; a non-owner gets 403
for every write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from works.models import Work

from . import curation, pagination, selectors
from .forms import OwnerMergeForm, ProfileEditForm, WorkHideForm
from .models import ProfileChange, Researcher
from .views import merged_researcher_redirect

CHANGES_PER_PAGE = 30


def _researcher_or_404(request, openalex_id: str) -> Researcher:
    try:
        return selectors.researcher_get(openalex_id=openalex_id, viewer=request.user)
    except Researcher.DoesNotExist as missing:
        raise Http404("No researcher with this id.") from missing


def _owned_or_403(request, openalex_id: str) -> Researcher:
    researcher = _researcher_or_404(request, openalex_id)
    if not curation.researcher_is_owner(researcher=researcher, user=request.user):
        raise PermissionDenied("Only the owner can change this profile.")
    return researcher


def _refused(request, refused: curation.CurationRefused) -> None:
    if refused.forbidden:
        raise PermissionDenied(str(refused))
    messages.error(request, str(refused))


def _manage_url(researcher: Researcher) -> str:
    return reverse("profiles:manage", args=[researcher.openalex_id])


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile_manage(request, openalex_id):
    """The owner's page: edit the curated fields, see and restore hidden
    works, hide or show the profile, merge another owned record in."""
    researcher = _owned_or_403(request, openalex_id)
    if request.method == "POST":
        form = ProfileEditForm(request.POST)
        if form.is_valid():
            try:
                entries = curation.profile_edit(
                    researcher=researcher, user=request.user, changes=form.cleaned_data
                )
            except curation.CurationRefused as refused:
                _refused(request, refused)
            else:
                messages.success(
                    request,
                    "Your profile is updated." if entries else "Nothing changed.",
                )
                return redirect(_manage_url(researcher))
    else:
        form = ProfileEditForm(
            initial={
                name: getattr(researcher, name) for name in curation.CURATED_FIELDS
            }
        )
    return render(
        request,
        "profiles/profile_manage.html",
        {
            "researcher": researcher,
            "form": form,
            "hidden_works": selectors.researcher_hidden_works(researcher=researcher),
            "other_owned": selectors.researchers_owned_by(
                user=request.user, exclude=researcher
            ),
        },
    )


@require_POST
@login_required
def work_hide(request, openalex_id, work_pk):
    researcher = _owned_or_403(request, openalex_id)
    work = get_object_or_404(Work, pk=work_pk)
    form = WorkHideForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        curation.work_hide(
            researcher=researcher, user=request.user, work=work, reason=reason
        )
    except curation.CurationRefused as refused:
        _refused(request, refused)
    else:
        messages.success(
            request,
            "The work is hidden from your profile. Restore it from “Manage "
            "profile” or undo it in the change log.",
        )
    return redirect(reverse("profiles:detail", args=[openalex_id]) + "#works")


@require_POST
@login_required
def work_restore(request, openalex_id, work_pk):
    researcher = _owned_or_403(request, openalex_id)
    work = get_object_or_404(Work, pk=work_pk)
    try:
        curation.work_restore(researcher=researcher, user=request.user, work=work)
    except curation.CurationRefused as refused:
        _refused(request, refused)
    else:
        messages.success(request, "The work is back on your profile.")
    return redirect(_manage_url(researcher) + "#hidden-works")


@require_POST
@login_required
def profile_visibility(request, openalex_id):
    researcher = _owned_or_403(request, openalex_id)
    hidden = request.POST.get("hidden") == "1"
    try:
        curation.profile_visibility_set(
            researcher=researcher, user=request.user, hidden=hidden
        )
    except curation.CurationRefused as refused:
        _refused(request, refused)
    else:
        messages.success(
            request,
            "Your profile is hidden from the public."
            if hidden
            else "Your profile is public again.",
        )
    return redirect(_manage_url(researcher) + "#visibility")


@require_POST
@login_required
def owner_merge(request, openalex_id):
    survivor = _owned_or_403(request, openalex_id)
    form = OwnerMergeForm(request.POST)
    old = None
    if form.is_valid():
        old = (
            selectors.researchers_owned_by(user=request.user)
            .filter(openalex_id=form.cleaned_data["old"])
            .first()
        )
    if old is None:
        messages.error(request, "Choose one of the other records you manage.")
        return redirect(_manage_url(survivor) + "#merge")
    try:
        curation.researcher_owner_merge(user=request.user, old=old, survivor=survivor)
    except curation.CurationRefused as refused:
        _refused(request, refused)
        return redirect(_manage_url(survivor) + "#merge")
    messages.success(
        request,
        f"{old.openalex_id} is merged into this profile; its address now leads here.",
    )
    return redirect(reverse("profiles:detail", args=[survivor.openalex_id]))


@require_safe
@pagination.page_not_found_answers(anchor="changes")
def profile_change_log(request, openalex_id):
    """The public change log of a profile, newest first; the owner sees an
    "Undo" button on their own entries that can still be undone."""
    try:
        researcher = selectors.researcher_get(
            openalex_id=openalex_id, viewer=request.user
        )
    except Researcher.DoesNotExist:
        return merged_researcher_redirect(request, openalex_id, view="profiles:changes")
    page = pagination.page_get(
        paginator=Paginator(
            selectors.profile_changes(researcher=researcher), CHANGES_PER_PAGE
        ),
        number=request.GET.get("page"),
    )
    is_owner = curation.researcher_is_owner(researcher=researcher, user=request.user)
    return render(
        request,
        "profiles/profile_changes.html",
        {
            "researcher": researcher,
            "page": page,
            "is_owner": is_owner,
            "undoable": ProfileChange.UNDOABLE,
        },
    )


@require_POST
@login_required
def profile_change_undo(request, openalex_id, change_pk):
    researcher = _owned_or_403(request, openalex_id)
    change = get_object_or_404(ProfileChange, pk=change_pk, researcher=researcher)
    try:
        curation.profile_change_undo(change=change, user=request.user)
    except curation.CurationRefused as refused:
        _refused(request, refused)
    else:
        messages.success(request, "The change is undone.")
    return redirect(reverse("profiles:changes", args=[openalex_id]) + "#changes")
