"""Presentation helpers for the profile, search and trust pages. Every filter
returns plain strings, so the template's autoescape still applies."""

from django import template

register = template.Library()

TRUST_TONES = {
    "unverified": "unverified",
    "emerging": "emerging",
    "established": "established",
    "trusted": "trusted",
}


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with ``changes`` applied (a value of None
    drops the key), e.g. ``?{% query_with page=2 %}`` keeps ``q`` and
    ``sort``."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.filter
def trust_tone(label: str) -> str:
    """The CSS modifier of a trust label's badge."""
    return TRUST_TONES.get(str(label).strip().lower(), "unknown")


@register.filter
def more_authors(work) -> int:
    """How many authors a work has beyond those listed."""
    listed = len(getattr(work, "listed_authorships", []) or [])
    return max((work.author_count or 0) - listed, 0)


@register.filter
def excerpt(text: str, length: int = 300) -> str:
    """``text`` cut at a word boundary near ``length`` characters, with an
    ellipsis when cut."""
    text = " ".join(str(text or "").split())
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0].rstrip(",;:.-")
    return f"{cut}…"


@register.filter
def needs_folding(text: str, length: int = 300) -> bool:
    """True when ``text`` is longer than its excerpt."""
    return len(" ".join(str(text or "").split())) > length


@register.filter
def signed(value) -> str:
    """Points with their sign: "+5", "−3" (a true minus), "0"."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    shown = f"{abs(number):g}"
    if number > 0:
        return f"+{shown}"
    if number < 0:
        return f"\u2212{shown}"
    return "0"


@register.filter
def work_type(value: str) -> str:
    """An OpenAlex work type as a reader says it: "book-chapter" -> "Book
    chapter", "preprint" -> "Preprint"."""
    words = (value or "").replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]
