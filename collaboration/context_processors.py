"""The site header's unread count (built by the collaboration work)."""


def inbox_unread(request):
    return {}
