"""Pages of following: follow and unfollow from a profile (a plain form, or
JSON for the small script that updates the count in place), whom I follow,
the feed of their new works, and the weekly digest's switch and its
one-click unsubscribe."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from . import digest, following, pagination, selectors
from .models import Researcher

FOLLOWING_PER_PAGE = 30
FEED_PER_PAGE = 20


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _follow_answer(request, researcher: Researcher, *, is_following: bool):
    if _wants_json(request):
        return JsonResponse(
            {
                "following": is_following,
                "followers": selectors.researcher_followers_count(
                    researcher=researcher
                ),
                "action": reverse(
                    "profiles:unfollow" if is_following else "profiles:follow",
                    args=[researcher.openalex_id],
                ),
            }
        )
    return redirect(
        reverse("profiles:detail", args=[researcher.openalex_id]) + "#actions"
    )


def _researcher_or_404(request, openalex_id: str) -> Researcher:
    try:
        return selectors.researcher_get(openalex_id=openalex_id, viewer=request.user)
    except Researcher.DoesNotExist as missing:
        raise Http404("No researcher with this id.") from missing


@require_POST
@login_required
def follow(request, openalex_id):
    researcher = _researcher_or_404(request, openalex_id)
    try:
        following.researcher_follow(user=request.user, researcher=researcher)
    except following.FollowRefused as refused:
        if _wants_json(request):
            return JsonResponse({"error": str(refused)}, status=400)
        messages.error(request, str(refused))
        return _follow_answer(request, researcher, is_following=False)
    return _follow_answer(request, researcher, is_following=True)


@require_POST
@login_required
def unfollow(request, openalex_id):
    researcher = _researcher_or_404(request, openalex_id)
    following.researcher_unfollow(user=request.user, researcher=researcher)
    return _follow_answer(request, researcher, is_following=False)


@require_safe
@login_required
@pagination.page_not_found_answers(anchor="following")
def following_list(request):
    page = pagination.page_get(
        paginator=Paginator(
            selectors.researchers_followed(user=request.user), FOLLOWING_PER_PAGE
        ),
        number=request.GET.get("page"),
    )
    return render(
        request,
        "profiles/following.html",
        {"page": page, "digest": digest.follow_digest_get(user=request.user)},
    )


@require_safe
@login_required
@pagination.page_not_found_answers(anchor="feed")
def feed(request):
    page = pagination.page_get(
        paginator=Paginator(selectors.feed_works(user=request.user), FEED_PER_PAGE),
        number=request.GET.get("page"),
    )
    return render(
        request,
        "profiles/feed.html",
        {
            "page": page,
            "feed_days": selectors.FEED_DAYS,
            "follows_anyone": selectors.researchers_followed(
                user=request.user
            ).exists(),
            "digest": digest.follow_digest_get(user=request.user),
        },
    )


@require_POST
@login_required
def digest_switch(request):
    enabled = request.POST.get("enabled") == "1"
    digest.follow_digest_set(user=request.user, enabled=enabled)
    messages.success(
        request,
        "You will get a weekly e-mail of new works by the researchers you follow."
        if enabled
        else "The weekly e-mail is off.",
    )
    back = request.POST.get("next")
    if back not in (reverse("following:feed"), reverse("following:list")):
        back = reverse("following:feed")
    return redirect(back)


# The link in a digest works without login or a CSRF token (mail clients
# post to it for one-click unsubscribe, RFC 8058); the signed token is the
# only key, and all it can do is turn that digest off.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def digest_unsubscribe(request, token):
    done = request.method == "HEAD" or digest.follow_digest_unsubscribe(token=token)
    return render(
        request,
        "profiles/digest_unsubscribed.html",
        {"done": done},
        status=200 if done else 400,
    )
