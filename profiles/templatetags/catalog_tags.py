"""Presentation helpers for the catalog pages (works, topics, institutions):
a work's address, and the one gate external addresses pass before an href."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django import template
from django.urls import reverse

register = template.Library()

# The stored form of an OpenAlex work id (works.ingest.identifiers); the
# ``openalex_work`` path converter of profiles.urls accepts just this.
OPENALEX_WORK_ID = re.compile(r"W\d{1,30}")


def work_address(work) -> tuple[str, str | int]:
    """The key a work's page is addressed by: ``("openalex_id", …)`` when it
    has an OpenAlex id, else ``("arxiv_id", …)`` (an arXiv-only preprint),
    else ``("pk", …)``."""
    if work.openalex_id and OPENALEX_WORK_ID.fullmatch(work.openalex_id):
        return "openalex_id", work.openalex_id
    if work.arxiv_id:
        return "arxiv_id", work.arxiv_id
    return "pk", work.pk


_WORK_ROUTES = {
    "openalex_id": "catalog:work",
    "arxiv_id": "catalog:work_by_arxiv_id",
    "pk": "catalog:work_by_pk",
}


def work_path(work) -> str:
    """The one address of a work's page (see ``work_address``). The page
    answers its other addresses with a permanent redirect here, so a work
    that gains an OpenAlex id later keeps every old link working."""
    key, value = work_address(work)
    return reverse(_WORK_ROUTES[key], args=[value])


@register.filter
def work_url(work) -> str:
    """``work_path`` for templates: ``{{ work|work_url }}``."""
    return work_path(work)


@register.filter
def http_url(value: str) -> str:
    """``value`` when it is an absolute http(s) address, else "": imported
    URLs (an institution's homepage, a landing page) reach an href only
    through here, so a ``javascript:`` or ``data:`` one never does."""
    url = str(value or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return url
