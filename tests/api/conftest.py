"""The API's tests: a DRF client, and throttles raised out of the way of
every test but those about throttling."""

import pytest
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _throttles_raised(settings):
    settings.API_THROTTLE_ANON = "100000/min"
    settings.API_THROTTLE_USER = "100000/min"
    settings.CLAIM_RATE_PER_USER = "1000/h"
    settings.CLAIM_RATE_PER_IP = "1000/h"
    settings.INVITATION_RATE_PER_USER = "1000/h"


@pytest.fixture
def api():
    return APIClient()
