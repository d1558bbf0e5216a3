"""THE policy of the site's rate limits when their counters cannot be
reached (the cache's Redis is down): writes fail CLOSED, reads fail OPEN.

Every limit is counted in the Django cache (Redis): django-ratelimit's
allowances on the forms and API writes that reach other people (claims,
disputes, invitations, messages) and DRF's throttles on the whole API.

- A write a limit guards is refused while its counter cannot be reached,
  with ``COUNTER_DOWN_MESSAGE`` on the form, or a 503 with ``Retry-After``
  from the API: an outage of Redis must not lift every limit at once (a
  spammer's included), and the person is told the truth, not "too many".
- A read goes on uncounted: a read limit protects the site's capacity, not
  other people, and no page needs Redis to render
  (tests/bzpeer/test_pages_without_redis.py).

Either way the log says what went uncounted. Views reach the policy only
through ``write_refusal`` / ``write_allowance_spend`` and the API's throttles
through ``WritesFailClosedThrottle``."""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable

from django_ratelimit.core import is_ratelimited
from redis.exceptions import RedisError
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.permissions import SAFE_METHODS

logger = logging.getLogger(__name__)

# What Django's RedisCache raises when its server cannot be reached (refused,
# reset, timed out, a name that does not resolve).
COUNTER_UNREACHABLE = (RedisError, OSError)
COUNTER_DOWN_MESSAGE = (
    "We cannot check our sending limits right now, so nothing was sent: "
    "please try again in a few minutes."
)
# What the API tells a client to wait before it tries a write again.
RETRY_AFTER_SECONDS = 60


class Allowance(enum.Enum):
    """Whether a write may go ahead under its limits."""

    LEFT = "left"
    SPENT = "spent"
    # The counter could not be reached: refused all the same.
    UNCOUNTED = "uncounted"


def write_allowance_spend(
    request, *, group: str, rates: Iterable[tuple[str, str]]
) -> Allowance:
    """Count this write (a Django ``HttpRequest``) against each (key, rate)
    allowance of ``group`` (django-ratelimit: ``key`` "user" or "ip", a rate
    like "5/h") and say whether it may go ahead. Stops counting at the first
    allowance spent. Never raises for the cache: ``UNCOUNTED``, logged, when
    it cannot be reached."""
    try:
        spent = any(
            is_ratelimited(request, group=group, key=key, rate=rate, increment=True)
            for key, rate in rates
        )
    except COUNTER_UNREACHABLE as error:
        logger.warning(
            "rate limit %s could not be counted (%s: %s): the write is refused",
            group,
            type(error).__name__,
            error,
        )
        return Allowance.UNCOUNTED
    return Allowance.SPENT if spent else Allowance.LEFT


def write_refusal(
    request, *, group: str, rates: Iterable[tuple[str, str]], spent_message: str
) -> str | None:
    """For a form: what to tell the person whose write ``group``'s limits
    refuse (``spent_message`` when an allowance is spent,
    ``COUNTER_DOWN_MESSAGE`` when it cannot be counted), or None when it may
    go ahead. Counts the write like ``write_allowance_spend``."""
    allowance = write_allowance_spend(request, group=group, rates=rates)
    if allowance is Allowance.SPENT:
        return spent_message
    if allowance is Allowance.UNCOUNTED:
        return COUNTER_DOWN_MESSAGE
    return None


class RateLimitsUnavailable(APIException):
    """The API's answer to a write while its limits cannot be counted: 503
    with ``Retry-After`` (DRF's handler sends ``wait`` as that header)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "rate_limits_unavailable"
    default_detail = COUNTER_DOWN_MESSAGE
    wait = RETRY_AFTER_SECONDS


class WritesFailClosedThrottle:
    """Mixed into a DRF rate throttle (before it): while the cache cannot be
    reached, a safe request (GET, HEAD, OPTIONS) goes through uncounted and
    any other is refused with ``RateLimitsUnavailable``; both logged."""

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except COUNTER_UNREACHABLE as error:
            reason = f"{type(error).__name__}: {error}"
            if request.method in SAFE_METHODS:
                logger.warning(
                    "API throttle %s could not count %s %s (%s): let through",
                    type(self).__name__,
                    request.method,
                    request.path,
                    reason,
                )
                return True
            logger.warning(
                "API throttle %s could not count %s %s (%s): refused",
                type(self).__name__,
                request.method,
                request.path,
                reason,
            )
            raise RateLimitsUnavailable() from error
