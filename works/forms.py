"""Forms of the catalog's admin: starting an OpenAlex import by author."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from .ingest.identifiers import is_orcid_written, normalize_orcid, short_openalex_id
from .ingest.openalex.walks import PARAMETER_AUTHORS, PARAMETER_ORCIDS

# One import from the admin names a handful of authors; a long list belongs
# to the command line.
MAX_AUTHORS = 25
_SEPARATORS = re.compile(r"[\s,;]+")


def _split(value: str) -> list[str]:
    return [part for part in _SEPARATORS.split(value.strip()) if part]


class OpenAlexImportForm(forms.Form):
    """Authors to import from OpenAlex, by OpenAlex author id or by ORCID,
    each given bare or as its URL. Clean values are the stored forms,
    ``A5023888391`` and ``0000-0002-1825-0097``."""

    openalex_ids = forms.CharField(
        label="OpenAlex author id",
        required=False,
        max_length=2000,
        help_text="A5023888391 or https://openalex.org/A5023888391; "
        "several separated by spaces or commas.",
    )
    orcids = forms.CharField(
        label="ORCID",
        required=False,
        max_length=2000,
        help_text="0000-0002-1825-0097 or https://orcid.org/0000-0002-1825-0097; "
        "several separated by spaces or commas.",
    )

    def clean_openalex_ids(self) -> list[str]:
        ids = []
        for value in _split(self.cleaned_data["openalex_ids"]):
            short = short_openalex_id(value, prefix="A")
            if short is None:
                raise forms.ValidationError(
                    f"{value!r} is not an OpenAlex author id (A followed by digits)."
                )
            ids.append(short)
        return self._bounded(ids)

    def clean_orcids(self) -> list[str]:
        orcids = []
        for value in _split(self.cleaned_data["orcids"]):
            if not is_orcid_written(value):
                raise forms.ValidationError(
                    f"{value!r} is not an ORCID iD (0000-0000-0000-000X)."
                )
            orcid = normalize_orcid(value)
            if orcid is None:
                raise forms.ValidationError(
                    f"{value!r} is not a valid ORCID iD: its check digit is wrong."
                )
            orcids.append(orcid)
        return self._bounded(orcids)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        given = [*cleaned["openalex_ids"], *cleaned["orcids"]]
        if not given:
            raise forms.ValidationError("Give an OpenAlex author id or an ORCID.")
        self._bounded(given)
        return cleaned

    @staticmethod
    def _bounded(values: list[str]) -> list[str]:
        unique = list(dict.fromkeys(values))
        if len(unique) > MAX_AUTHORS:
            raise forms.ValidationError(
                f"At most {MAX_AUTHORS} authors per import from here; "
                "use the import_openalex command for more."
            )
        return unique

    def import_parameters(self) -> dict[str, list[str]]:
        """The OpenAlex importer's parameters for the authors given (see
        ``works.ingest.openalex.walks``: it reads both lists)."""
        parameters = {
            PARAMETER_AUTHORS: self.cleaned_data["openalex_ids"],
            PARAMETER_ORCIDS: self.cleaned_data["orcids"],
        }
        return {name: values for name, values in parameters.items() if values}

    def summary(self) -> str:
        """The authors given, for the confirmation message."""
        return ", ".join(
            [*self.cleaned_data["openalex_ids"], *self.cleaned_data["orcids"]]
        )
