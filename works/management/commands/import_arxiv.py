"""``manage.py import_arxiv``: import preprints from the arXiv API by id, by
search query, or by category and submission dates. See docs/import-arxiv.md."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from django.core.management.base import CommandError

from works.ingest.arxiv.client import arxiv_search_query
from works.ingest.arxiv.queries import MAX_PAGE_SIZE, PAGE_SIZE
from works.ingest.identifiers import normalize_arxiv_id
from works.management.import_commands import LiveImportCommand
from works.models import ImportRun


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date (YYYY-MM-DD)"
        ) from None


class Command(LiveImportCommand):
    help = (
        "Import preprints from the arXiv API: --id ID [ID ...], --query QUERY "
        "(arXiv syntax: au:, ti:, cat:, abs:), or --category with --from/--until "
        "submission dates. One request every ARXIV_MIN_INTERVAL seconds (3 by "
        "default, as arXiv asks); resumable page by page."
    )
    source = ImportRun.Source.ARXIV

    def add_source_arguments(self, parser) -> None:
        parser.add_argument(
            "--id",
            dest="ids",
            nargs="+",
            action="extend",
            default=[],
            metavar="ARXIV_ID",
            help="arXiv ids (2401.12345, hep-th/9901001); a version suffix "
            "(v2) is dropped: the latest version describes the paper",
        )
        parser.add_argument("--query", default="", help="an arXiv search query")
        parser.add_argument("--category", default="", help="e.g. cs.CL, hep-th")
        parser.add_argument(
            "--from",
            dest="submitted_from",
            type=_day,
            metavar="YYYY-MM-DD",
            help="submitted on or after this day",
        )
        parser.add_argument(
            "--until",
            dest="submitted_until",
            type=_day,
            metavar="YYYY-MM-DD",
            help="submitted on or before this day",
        )
        parser.add_argument(
            "--page-size",
            type=int,
            default=PAGE_SIZE,
            help=f"results per request and per stored page (default {PAGE_SIZE})",
        )

    def parameters(self, options: dict[str, Any]) -> dict[str, Any] | None:
        page_size = options["page_size"]
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise CommandError(f"--page-size must be 1 to {MAX_PAGE_SIZE}")
        searching = any(
            options[name]
            for name in ("query", "category", "submitted_from", "submitted_until")
        )
        if options["ids"] and searching:
            raise CommandError("give either --id or a search, not both")
        if options["ids"]:
            return {"ids": self._ids(options["ids"]), "page_size": page_size}
        if not searching:
            raise CommandError("give --id, --query, or --category (with dates)")
        dated = options["submitted_from"] or options["submitted_until"]
        if dated and not (options["query"] or options["category"]):
            raise CommandError("--from/--until need --category or --query")
        try:
            query = arxiv_search_query(
                query=options["query"],
                category=options["category"],
                submitted_from=options["submitted_from"],
                submitted_until=options["submitted_until"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        return {"query": query, "page_size": page_size}

    def _ids(self, values: list[str]) -> list[str]:
        """Bare arXiv ids in the order given, each once."""
        ids: dict[str, None] = {}
        invalid = []
        for value in values:
            for part in value.split(","):
                if not part.strip():
                    continue
                arxiv_id = normalize_arxiv_id(part)
                if arxiv_id:
                    ids[arxiv_id] = None
                else:
                    invalid.append(part.strip())
        if invalid:
            raise CommandError(f"not arXiv ids: {', '.join(invalid)}")
        return list(ids)
