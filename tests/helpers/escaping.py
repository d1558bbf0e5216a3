"""Hostile payloads with a marker naming the field they went into, and the
checks that find them harmless in what a page or a file gives back: HTML
with no element, attribute or address of theirs; JSON that parses; XML that
parses; BibTeX and RIS whose structure they did not change."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import unquote

import bibtexparser
from defusedxml import ElementTree

# A marker is Q<field without underscores>Q: no field's marker is inside
# another's, and every format keeps it as it is.
MARK = re.compile(r"Q[a-z0-9]+Q")


def mark(field: str) -> str:
    return f"Q{field.replace('_', '').lower()}Q"


def payload(field: str) -> str:
    """Markup in every context a template may put text (element content, a
    quoted or unquoted attribute, a script, a JSON-LD block), LaTeX, and
    what breaks a BibTeX entry or a RIS record."""
    m = mark(field)
    return (
        f"{m}<script>alert('{m}')</script><img src=x onerror=alert('{m}')>"
        f"\"><svg onload=alert('{m}')>' onfocus='alert(1)' $\\alpha<\\beta$ "
        "</script><!-- } @misc{x, \r\nER  - "
    )


def short_payload(field: str) -> str:
    """The payload for a field of 150 characters at most (a username)."""
    m = mark(field)
    return f"{m}<script>alert('{m}')</script>\"><img src=x onerror=alert('{m}')>"


# Stored URLs given a ``javascript:`` one; the others get a ``data:`` one, so
# each place that links a stored URL meets both (a work's landing page and
# PDF, a claim's homepage).
JAVASCRIPT_URL_FIELDS = {
    "institution_homepage",
    "work_landing_page",
    "other_work_pdf",
    "claim_homepage",
}


def hostile_url(field: str) -> str:
    """A stored URL no href or src may carry."""
    m = mark(field)
    if field in JAVASCRIPT_URL_FIELDS:
        return f" JavaScript:alert('{m}')//https://example.org/"
    return f"data:text/html,<script>alert('{m}')</script>"


URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "poster",
    "data",
    "srcset",
    "background",
    "cite",
    "ping",
}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")


def _scheme_of(url: str) -> str:
    # Browsers drop control characters and white space inside a scheme.
    cleaned = re.sub(r"[\x00-\x20]", "", unquote(url)).lower()
    return next((scheme for scheme in BAD_SCHEMES if cleaned.startswith(scheme)), "")


def _same_site(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


def _named(text: str) -> str:
    found = sorted(set(MARK.findall(text)))
    return ", ".join(found) if found else "no marker"


class _Scanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.script: dict | None = None
        self.script_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        shown = " ".join(f"{name}={value!r}" for name, value in attrs)
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(
                    f"event handler <{tag} {name}=…> ({_named(shown)})"
                )
            if name in URL_ATTRIBUTES and _scheme_of(value):
                self.problems.append(
                    f"{_scheme_of(value)} address in <{tag} {name}> ({_named(value)})"
                )
        if tag == "img" and dict(attrs).get("src") == "x":
            self.problems.append(f"injected <img src=x> ({_named(shown)})")
        if tag == "script":
            self.script = dict(attrs)
            self.script_text = []

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.handle_endtag(tag)

    def handle_data(self, data):
        if self.script is not None:
            self.script_text.append(data)

    def handle_endtag(self, tag):
        if tag != "script" or self.script is None:
            return
        body = "".join(self.script_text)
        kind = (self.script.get("type") or "").lower()
        if kind == "application/ld+json":
            try:
                json.loads(body)
            except ValueError:
                self.problems.append(f"JSON-LD that does not parse ({_named(body)})")
        elif body.strip() or not _same_site(self.script.get("src", "")):
            self.problems.append(
                f"inline or foreign script {self.script!r} ({_named(body)})"
            )
        self.script = None

    def handle_comment(self, data):
        if MARK.search(data):
            self.problems.append(f"a comment opened by a payload ({_named(data)})")


def html_problems(html: str) -> list[str]:
    """What a payload did to the page: elements, attributes, scripts or
    addresses of its own, each naming the markers it carries."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    problems = scanner.problems
    # Whatever the parser made of it, none of these may be there verbatim.
    for raw in re.findall(
        r"<script>alert\('Q\w+Q'\)|<img src=x onerror=alert\('Q\w+Q'\)"
        r"|<svg onload=alert\('Q\w+Q'\)",
        html,
    ):
        problems.append(f"raw markup {raw!r}")
    return problems


def json_strings(value) -> list[str]:
    """Every string (keys too) of a JSON document."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *json_strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in json_strings(item)]
    return []


def json_problems(value) -> list[str]:
    """In JSON a payload is data: it must come back as the string it was,
    but an address field must not carry a hostile scheme."""
    problems = []
    if isinstance(value, dict):
        for key, item in value.items():
            if (
                isinstance(item, str)
                and re.search(r"(^|_)(url|href|link|homepage)$", key)
                and _scheme_of(item)
            ):
                problems.append(f"{key}: {_scheme_of(item)} ({_named(item)})")
            problems += json_problems(item)
    elif isinstance(value, list):
        for item in value:
            problems += json_problems(item)
    return problems


def bibtex_entries(text: str) -> list:
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == [], library.failed_blocks
    return library.entries


def ris_records(text: str) -> list[dict[str, list[str]]]:
    """Records of a RIS file; asserts every line is a tag line and every
    record runs TY … ER."""
    records, current = [], None
    for line in text.split("\r\n"):
        if not line:
            continue
        match = re.fullmatch(r"([A-Z][A-Z0-9])  - (.*)", line)
        assert match, f"not a RIS tag line: {line!r}"
        tag, value = match.groups()
        if tag == "TY":
            assert current is None, "TY inside a record"
            current = {}
        assert current is not None, f"{tag} outside a record"
        current.setdefault(tag, []).append(value)
        if tag == "ER":
            records.append(current)
            current = None
    assert current is None, "a record without ER"
    return records


def xml_text(content: bytes) -> str:
    """Every text and attribute value of an XML document (it must parse)."""
    root = ElementTree.fromstring(content)
    parts = []
    for element in root.iter():
        parts += [element.text or "", element.tail or "", *element.attrib.values()]
    return "\n".join(parts)
