"""Citations of works as files to download: BibTeX, RIS and CSL-JSON, for
one work or for the works a profile lists (hidden works out, versions once,
as ``profiles.selectors.researcher_works`` holds them). The pages
(``profiles.citation_views``) and the API call the two functions here.

Authors come from the work's byline (``Authorship.raw_author_name`` in
position order, ``CITED_AUTHORS`` of them, then "and others"); names are
split into family and given names by their last word, with lower-case
particles ("van der") kept with the family name; a one-word name is kept
whole. Every text is made safe for its format here: a title with braces,
backslashes, newlines or markup still gives a file that parses.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Prefetch, QuerySet

from works.models import Authorship, Source, Work

from .models import Researcher
from .selectors import ARXIV_VENUE_NAME, listed_work_expression
from .visibility import authorships_shown

CITATION_FORMATS = ("bibtex", "ris", "csl-json")
# Authors named per work; a 3,000-author paper ends with "and others".
CITED_AUTHORS = 50
# Works in one researcher's file, newest first: the file stays a download,
# not a dump, for the most prolific profiles.
CITED_WORKS = 2000

_CONTENT_TYPES = {
    "bibtex": "application/x-bibtex; charset=utf-8",
    "ris": "application/x-research-info-systems; charset=utf-8",
    "csl-json": "application/vnd.citationstyles.csl+json; charset=utf-8",
}
_EXTENSIONS = {"bibtex": "bib", "ris": "ris", "csl-json": "json"}
_PARTICLES = {
    "van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das",
    "du", "la", "le", "ter", "ten", "bin", "ibn", "al", "el",
}  # fmt: skip
_KEY_STOPWORDS = {
    "a", "an", "the", "on", "of", "in", "for", "and", "to", "with", "from",
    "by", "at", "is", "are", "towards", "toward", "via",
}  # fmt: skip
_JOURNAL_TYPES = {"article", "review", "letter", "editorial", "erratum"}


@dataclass(frozen=True)
class Citations:
    """A citation file: its bytes, its media type, its download name."""

    content: bytes
    content_type: str
    filename: str


@dataclass(frozen=True)
class _Name:
    family: str
    given: str = ""

    @property
    def is_literal(self) -> bool:
        return not self.given

    @property
    def inverted(self) -> str:
        """ "Family, Given", or the name alone."""
        return f"{self.family}, {self.given}" if self.given else self.family


@dataclass(frozen=True)
class _Entry:
    """What every format says about one work."""

    key: str
    kind: str  # journal, conference, preprint, book, chapter, thesis, dataset, other
    title: str
    authors: tuple[_Name, ...]
    has_more_authors: bool
    year: int | None
    date_parts: tuple[int, ...]
    venue: str
    doi: str
    arxiv_id: str
    url: str


# --- reading the works -----------------------------------------------------------


def _one_line(value: str) -> str:
    """``value`` on one line: control characters out, runs of white space
    (newlines and tabs included) one space."""
    value = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in value
    )
    return " ".join(value.split())


def _split_name(raw: str) -> _Name | None:
    name = _one_line(raw)
    if not name:
        return None
    if "," in name:
        family, _, given = name.partition(",")
        family, given = family.strip(), given.strip()
        return _Name(family=family or given, given=given if family else "")
    words = name.split(" ")
    if len(words) == 1:
        return _Name(family=name)
    start = len(words) - 1
    while start > 1 and words[start - 1].lower() in _PARTICLES:
        start -= 1
    return _Name(family=" ".join(words[start:]), given=" ".join(words[:start]))


def _ascii_word(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def _key_stem(entry_authors: tuple[_Name, ...], year: int | None, title: str) -> str:
    family = (
        _ascii_word(entry_authors[0].family.split(" ")[-1]) if entry_authors else ""
    )
    word = next(
        (
            w
            for w in (_ascii_word(part) for part in re.split(r"[\s\-/:]+", title))
            if w and w not in _KEY_STOPWORDS
        ),
        "",
    )
    return f"{family or 'anonymous'}{year or 'nd'}{word}"


def _kind(work: Work) -> str:
    source_type = work.source.type if work.source else ""
    is_arxiv = bool(work.source and work.source.openalex_id == Source.ARXIV_OPENALEX_ID)
    if work.type == "preprint" or (is_arxiv and work.type in ("", "article")):
        return "preprint"
    if source_type == "conference" and work.type in _JOURNAL_TYPES | {""}:
        return "conference"
    if work.type in _JOURNAL_TYPES:
        return "journal"
    return {
        "book": "book",
        "book-chapter": "chapter",
        "dissertation": "thesis",
        "dataset": "dataset",
    }.get(work.type, "other")


def _venue(work: Work) -> str:
    if not work.source:
        return ""
    if work.source.openalex_id == Source.ARXIV_OPENALEX_ID:
        return ARXIV_VENUE_NAME
    return _one_line(work.source.display_name)


def _url(work: Work) -> str:
    for url in (work.doi_url, work.landing_page_url, work.arxiv_url, work.openalex_url):
        if url:
            return re.sub(r"[\s{}\\\"<>]", "", url)
    return ""


def _entries(works: Iterable[Work]) -> list[_Entry]:
    entries, taken = [], set()
    for work in works:
        authorships = work.cited_authorships
        names = [
            _split_name(
                a.raw_author_name or (a.researcher.display_name if a.researcher else "")
            )
            for a in authorships[:CITED_AUTHORS]
        ]
        authors = tuple(name for name in names if name)
        title = _one_line(work.title) or "Untitled"
        year = work.publication_year
        date_parts: tuple[int, ...] = (year,) if year else ()
        if year and work.publication_date and work.publication_date.year == year:
            date = work.publication_date
            date_parts = (date.year, date.month, date.day)
        stem = _key_stem(authors, year, title)
        key, suffix = stem, 0
        while key in taken:
            suffix += 1
            key = f"{stem}{_key_suffix(suffix)}"
        taken.add(key)
        entries.append(
            _Entry(
                key=key,
                kind=_kind(work),
                title=title,
                authors=authors,
                has_more_authors=len(authorships) > CITED_AUTHORS
                or work.author_count > max(len(authorships), CITED_AUTHORS),
                year=year,
                date_parts=date_parts,
                venue=_venue(work),
                doi=re.sub(r"[\s{}\\\"]", "", work.doi or ""),
                arxiv_id=re.sub(r"[\s{}\\\"]", "", work.arxiv_id or ""),
                url=_url(work),
            )
        )
    return entries


def _key_suffix(number: int) -> str:
    """1 -> "a", 26 -> "z", 27 -> "aa": the letters that tell apart two
    works with one stem."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _cited_authorships_prefetch() -> Prefetch:
    slots = (
        Authorship.objects.select_related("researcher")
        .only(
            "id", "work_id", "position", "raw_author_name", "researcher__display_name"
        )
        .order_by("position")[: CITED_AUTHORS + 1]
    )
    return Prefetch("authorships", queryset=slots, to_attr="cited_authorships")


def _cited_works(works: QuerySet[Work]) -> QuerySet[Work]:
    return (
        works.select_related("source")
        .only(
            "id",
            "title",
            "type",
            "publication_year",
            "publication_date",
            "doi",
            "arxiv_id",
            "openalex_id",
            "landing_page_url",
            "author_count",
            "source__openalex_id",
            "source__display_name",
            "source__type",
        )
        .prefetch_related(_cited_authorships_prefetch())
    )


# --- the formats -----------------------------------------------------------------

_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    # Not "\{": a parser that counts braces would find the field unbalanced.
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
    "@": "{@}",
}


def _bibtex_text(value: str) -> str:
    """``value`` inside a braced BibTeX field: LaTeX's special characters
    escaped, every brace in the result balanced."""
    return "".join(_BIBTEX_SPECIAL.get(c, c) for c in value)


def _bibtex_name(name: _Name) -> str:
    """A name for the ``author`` list: "Family, Given"; a word "and" inside
    a name braced, so it does not split the name in two."""
    return re.sub(r"\band\b", "{and}", _bibtex_text(name.inverted), flags=re.IGNORECASE)


def _bibtex(entries: list[_Entry]) -> str:
    blocks = []
    for entry in entries:
        kind = {
            "journal": "article",
            "conference": "inproceedings",
            "book": "book",
            "chapter": "incollection",
            "thesis": "phdthesis",
        }.get(entry.kind, "misc")
        # The title braced twice: styles keep its capitals as written.
        fields = [("title", "{" + _bibtex_text(entry.title) + "}")]
        if entry.authors:
            names = [_bibtex_name(name) for name in entry.authors]
            if entry.has_more_authors:
                names.append("others")
            fields.append(("author", " and ".join(names)))
        if entry.year:
            fields.append(("year", str(entry.year)))
        if entry.venue:
            venue_field = {
                "article": "journal",
                "inproceedings": "booktitle",
                "incollection": "booktitle",
                "book": "publisher",
                "phdthesis": "school",
            }.get(kind, "howpublished")
            fields.append((venue_field, _bibtex_text(entry.venue)))
        if entry.doi:
            fields.append(("doi", entry.doi))
        if entry.arxiv_id:
            fields += [("eprint", entry.arxiv_id), ("archivePrefix", "arXiv")]
        if entry.url:
            fields.append(("url", entry.url))
        lines = [f"@{kind}{{{entry.key},"]
        lines += [f"  {name} = {{{value}}}," for name, value in fields]
        lines[-1] = lines[-1].rstrip(",")
        lines.append("}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _ris(entries: list[_Entry]) -> str:
    lines: list[str] = []
    for entry in entries:
        kind = {
            "journal": "JOUR",
            "conference": "CPAPER",
            "book": "BOOK",
            "chapter": "CHAP",
            "thesis": "THES",
            "dataset": "DATA",
            "preprint": "UNPB",
        }.get(entry.kind, "GEN")
        lines.append(f"TY  - {kind}")
        lines.append(f"TI  - {entry.title}")
        lines += [f"AU  - {name.inverted}" for name in entry.authors]
        if entry.year:
            lines.append(f"PY  - {entry.year}")
        if entry.venue:
            lines.append(f"{'JO' if kind == 'JOUR' else 'T2'}  - {entry.venue}")
        if entry.doi:
            lines.append(f"DO  - {entry.doi}")
        if entry.arxiv_id:
            lines.append(f"N1  - arXiv:{entry.arxiv_id}")
        if entry.url:
            lines.append(f"UR  - {entry.url}")
        lines.append(f"ID  - {entry.key}")
        lines.append("ER  - ")
        lines.append("")
    # RIS is a line format from DOS days: CRLF is what its readers expect.
    return "\r\n".join(lines)


def _csl_json(entries: list[_Entry]) -> str:
    items = []
    for entry in entries:
        item: dict = {
            "id": entry.key,
            "type": {
                "journal": "article-journal",
                "conference": "paper-conference",
                "preprint": "article",
                "book": "book",
                "chapter": "chapter",
                "thesis": "thesis",
                "dataset": "dataset",
            }.get(entry.kind, "document"),
            "title": entry.title,
        }
        if entry.authors:
            item["author"] = [
                {"literal": name.family}
                if name.is_literal
                else {"family": name.family, "given": name.given}
                for name in entry.authors
            ]
        if entry.date_parts:
            item["issued"] = {"date-parts": [list(entry.date_parts)]}
        if entry.venue:
            item["container-title"] = entry.venue
        if entry.doi:
            item["DOI"] = entry.doi
        if entry.url:
            item["URL"] = entry.url
        if entry.arxiv_id:
            item["number"] = f"arXiv:{entry.arxiv_id}"
            item["note"] = f"arXiv:{entry.arxiv_id}"
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


_WRITERS = {"bibtex": _bibtex, "ris": _ris, "csl-json": _csl_json}


def _citations(works: Iterable[Work], *, fmt: str, name: str) -> Citations:
    text = _WRITERS[fmt](_entries(works))
    return Citations(
        content=text.encode("utf-8"),
        content_type=_CONTENT_TYPES[fmt],
        filename=f"{name}.{_EXTENSIONS[fmt]}",
    )


def _check_format(fmt: str) -> None:
    if fmt not in CITATION_FORMATS:
        raise ValueError(
            f"unknown citation format {fmt!r}; expected one of {CITATION_FORMATS}"
        )


# --- the contract ------------------------------------------------------------------


def work_citations(*, work: Work, fmt: str) -> Citations:
    """``work`` cited in ``fmt`` (one of ``CITATION_FORMATS``; ValueError
    otherwise). Two queries: the work with its venue, its first authors.
    Visibility is the caller's: a work itself is never hidden."""
    _check_format(fmt)
    cited = list(_cited_works(Work.objects.filter(pk=work.pk)))
    name = _entries(cited)[0].key if cited else f"work-{work.pk}"
    return _citations(cited, fmt=fmt, name=name)


def researcher_citations(*, researcher: Researcher, fmt: str) -> Citations:
    """The works ``researcher``'s profile lists (hidden works out, versions
    once), newest first, at most ``CITED_WORKS`` of them, cited in ``fmt``
    (one of ``CITATION_FORMATS``; ValueError otherwise). Two queries. The
    caller checks that the viewer may see the profile
    (``profiles.selectors.researcher_get``)."""
    _check_format(fmt)
    held = (
        authorships_shown(Authorship.objects.filter(researcher=researcher))
        .annotate(listed_id=listed_work_expression())
        .values("listed_id")
    )
    works = _cited_works(Work.objects.filter(pk__in=held)).order_by(
        F("publication_year").desc(nulls_last=True),
        F("publication_date").desc(nulls_last=True),
        F("pk").desc(),
    )[:CITED_WORKS]
    name = f"{researcher.openalex_id or f'researcher-{researcher.pk}'}-works"
    return _citations(works, fmt=fmt, name=name)
