"""The lists' filters (django-filter). Every value is validated by a form
field before it reaches a query (a NUL byte, a year out of range or a word
where a number belongs answer 400), and joins are written as ``pk__in``
subqueries so no row is listed twice."""

from __future__ import annotations

import django_filters as filters
from django import forms

from profiles.models import Researcher, ResearcherTopic, VerificationLevel
from profiles.search import search_terms, work_search
from profiles.selectors import researcher_search
from profiles.visibility import authorships_shown
from works.models import Authorship, Work, WorkTopic

QUERY_MAX_LENGTH = 200
KEY_MAX_LENGTH = 40


class YearFilter(filters.Filter):
    field_class = forms.IntegerField


class ResearcherFilter(filters.FilterSet):
    q = filters.CharFilter(
        method="search",
        max_length=QUERY_MAX_LENGTH,
        label="Search by name (any order, accents and case ignored), "
        "OpenAlex author id or ORCID iD.",
    )
    is_claimed = filters.BooleanFilter()
    verification_level = filters.TypedChoiceFilter(
        choices=VerificationLevel.choices, coerce=int
    )
    topic = filters.CharFilter(
        method="by_topic", max_length=KEY_MAX_LENGTH, label="A topic's OpenAlex id."
    )
    institution = filters.CharFilter(
        field_name="affiliation__openalex_id",
        max_length=KEY_MAX_LENGTH,
        label="The OpenAlex id of the researcher's affiliation.",
    )

    class Meta:
        model = Researcher
        fields = ["q", "is_claimed", "verification_level", "topic", "institution"]

    def search(self, queryset, name, value):
        if not value.strip():
            return queryset
        return researcher_search(query=value, researchers=queryset)

    def by_topic(self, queryset, name, value):
        holders = ResearcherTopic.objects.filter(topic__openalex_id=value)
        return queryset.filter(pk__in=holders.values("researcher_id"))


class WorkFilter(filters.FilterSet):
    q = filters.CharFilter(
        method="search",
        max_length=QUERY_MAX_LENGTH,
        label="Full-text search of titles and abstracts (words of at least "
        "three letters; quotes for a phrase).",
    )
    year = YearFilter(
        field_name="publication_year",
        min_value=1000,
        max_value=2100,
        label="Publication year.",
    )
    type = filters.CharFilter(
        max_length=KEY_MAX_LENGTH, label='The work\'s type ("article", ...).'
    )
    topic = filters.CharFilter(
        method="by_topic", max_length=KEY_MAX_LENGTH, label="A topic's OpenAlex id."
    )
    institution = filters.CharFilter(
        method="by_institution",
        max_length=KEY_MAX_LENGTH,
        label="The OpenAlex id of an institution of one of its authors.",
    )
    researcher = filters.CharFilter(
        method="by_researcher",
        max_length=KEY_MAX_LENGTH,
        label="The OpenAlex id of one of its authors (a hidden profile, or a "
        "work its owner hid, matches nothing).",
    )

    class Meta:
        model = Work
        fields = ["q", "year", "type", "topic", "institution", "researcher"]

    def search(self, queryset, name, value):
        if not value.strip():
            return queryset
        matched = work_search(terms=search_terms(value))
        return queryset.filter(pk__in=matched.values("pk"))

    def by_topic(self, queryset, name, value):
        rows = WorkTopic.objects.filter(topic__openalex_id=value)
        return queryset.filter(pk__in=rows.values("work_id"))

    def by_institution(self, queryset, name, value):
        rows = Authorship.objects.filter(institutions__openalex_id=value)
        return queryset.filter(pk__in=rows.values("work_id"))

    def by_researcher(self, queryset, name, value):
        rows = authorships_shown(
            Authorship.objects.filter(
                researcher__openalex_id=value, researcher__is_hidden=False
            )
        )
        return queryset.filter(pk__in=rows.values("work_id"))
