"""The site header's unread count."""

from django.utils.functional import SimpleLazyObject

from .selectors import inbox_unread_count


def inbox_unread(request):
    """``inbox_unread``: how many of the user's active conversations have
    activity they have not read. Counted (one query) only when a template
    reads it; absent for an anonymous visitor, who costs nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": SimpleLazyObject(lambda: inbox_unread_count(user=user))}
