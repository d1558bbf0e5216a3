"""Filters of the account pages."""

from datetime import datetime

from django import template

register = template.Library()


@register.filter
def from_iso(value: str | None) -> datetime | None:
    """An ISO 8601 string of the data export back as a datetime, for
    ``|date``; None stays None."""
    return datetime.fromisoformat(value) if value else None
