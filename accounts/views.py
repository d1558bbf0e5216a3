"""Pages of the account holder's own data: what BZPEER holds, its download
as JSON, and deleting the account."""

from allauth.account.forms import ReauthenticateForm
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from .selectors import account_data_export, account_deletion_effects
from .services import account_delete


@require_safe
@never_cache
@login_required
def account_data_view(request):
    """What BZPEER holds about the logged-in account, in summary, with the
    download and the way to delete the account."""
    return render(
        request,
        "accounts/data.html",
        {"data": account_data_export(user=request.user)},
    )


@require_safe
@never_cache
@login_required
def account_data_download_view(request):
    """Everything BZPEER holds about the logged-in account, as a JSON file."""
    response = JsonResponse(
        account_data_export(user=request.user),
        json_dumps_params={"indent": 2, "ensure_ascii": False},
    )
    filename = f"bzpeer-account-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@login_required
def account_delete_view(request):
    """GET: what deleting the account does. POST with the account's current
    password (allauth's re-authentication form, under its login-failure rate
    limit): delete it, log out, and go home."""
    form = ReauthenticateForm(
        user=request.user, data=request.POST if request.method == "POST" else None
    )
    if form.is_valid():
        account_delete(user=request.user)
        logout(request)
        messages.success(request, "Your account is deleted. Goodbye!")
        return redirect("home")
    return render(
        request,
        "accounts/delete.html",
        {"form": form, "effects": account_deletion_effects(user=request.user)},
    )
