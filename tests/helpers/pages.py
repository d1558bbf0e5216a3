"""Pages as a reader sees them: the visible text, the work titles listed,
the address of a profile."""

import re
from html.parser import HTMLParser

from django.urls import reverse


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__()
        self.chunks = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "title", "head"):
            self._skipping += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title", "head"):
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.chunks.append(data)


def page_text(response) -> str:
    """The visible text of a page, whitespace collapsed, as a reader sees it
    (no space before punctuation that follows an element)."""
    extractor = _TextExtractor()
    extractor.feed(response.content.decode())
    text = " ".join(" ".join(extractor.chunks).split())
    return re.sub(r" ([,.;:])", r"\1", text)


def profile_url(researcher, **query) -> str:
    url = reverse("profiles:detail", args=[researcher.openalex_id])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def work_titles(response) -> list[str]:
    return re.findall(
        r'<h3 class="work__title">([^<]*)</h3>', response.content.decode()
    )
