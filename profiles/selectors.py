"""Reads of researcher profiles."""

from django.core.cache import cache

from works.models import ImportRun

SAMPLE_DATA_SOURCE = "openalex-snapshot"
SAMPLE_DATA_CACHE_KEY = "site:shows-sample-data"


def site_shows_sample_data() -> bool:
    """True while the bundled sample dataset is loaded (a succeeded run of the
    snapshot loader marked ``sample``). Cached; the loader clears the key."""
    cached = cache.get(SAMPLE_DATA_CACHE_KEY)
    if cached is None:
        cached = ImportRun.objects.filter(
            source=SAMPLE_DATA_SOURCE,
            parameters__sample=True,
            status=ImportRun.Status.SUCCEEDED,
        ).exists()
        cache.set(SAMPLE_DATA_CACHE_KEY, cached, 300)
    return cached
