"""Request rates for anonymous and logged-in clients, counted in the Django
cache (Redis, shared by every process). The rates are read from settings on
each request (``API_THROTTLE_ANON``, ``API_THROTTLE_USER``), so an operator's
environment and a test's override both take effect. While the cache cannot
be reached, reads go through and writes are refused (bzpeer.ratelimits)."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from bzpeer.ratelimits import WritesFailClosedThrottle


class AnonThrottle(WritesFailClosedThrottle, AnonRateThrottle):
    def get_rate(self):
        return settings.API_THROTTLE_ANON


class UserThrottle(WritesFailClosedThrottle, UserRateThrottle):
    def get_rate(self):
        return settings.API_THROTTLE_USER
