"""Context every page gets."""

from works.selectors import site_shows_sample_data


def site_banner(request):
    """Lets every page say, quietly, when the site shows the bundled sample."""
    return {"shows_sample_data": site_shows_sample_data()}
