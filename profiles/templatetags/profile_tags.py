"""Presentation helpers for the profile, search and trust pages. Every filter
returns plain strings, so the template's autoescape still applies, except
``inline_markup``, which escapes its input itself."""

import re

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from profiles.visibility import authorship_links_profile

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
def links_profile(authorship) -> bool:
    """Whether an author line links this authorship's researcher
    (``profiles.visibility``: not for a hidden profile or a hidden work)."""
    return authorship_links_profile(authorship)


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


# The inline tags OpenAlex and publishers put in titles ("<i>E. coli</i>",
# "CO<sub>2</sub>"), bare: an attribute makes a tag plain text.
_INLINE_TAG = re.compile(r"&lt;(/?)(i|b|em|strong|sub|sup)&gt;", re.IGNORECASE)


@register.filter(needs_autoescape=False)
def inline_markup(value: str) -> SafeString:
    """``value`` escaped, with balanced pairs of bare inline tags (i, b, em,
    strong, sub, sup) rendered as markup. Everything else, a ``<script>``
    or an ``<i onmouseover=...>`` included, stays visible text; an unpaired
    or crossed tag stays text too, so the page's structure cannot change."""
    escaped = str(conditional_escape(value or ""))
    kept: set[int] = set()
    open_tags: list[tuple[str, int]] = []
    for match in _INLINE_TAG.finditer(escaped):
        closing, name = match.group(1), match.group(2).lower()
        if not closing:
            open_tags.append((name, match.start()))
        elif open_tags and open_tags[-1][0] == name:
            kept.add(open_tags.pop()[1])
            kept.add(match.start())
        else:
            # A closing tag that crosses another: drop the open ones above
            # it from pairing, so no markup can straddle them.
            open_tags = [tag for tag in open_tags if tag[0] != name]

    def render(match: re.Match) -> str:
        if match.start() not in kept:
            return match.group(0)
        return f"<{match.group(1)}{match.group(2).lower()}>"

    return mark_safe(_INLINE_TAG.sub(render, escaped))  # noqa: S308
