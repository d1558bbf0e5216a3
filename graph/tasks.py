"""Celery tasks of the graph: thin wrappers around ``graph.cache``."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from .cache import SLICE_BUILD_TASK, slice_get
from .params import SliceParams
from .slices import SliceNotFound

logger = logging.getLogger(__name__)


@shared_task(
    name=SLICE_BUILD_TASK,
    acks_late=True,
    ignore_result=True,
    # A dropped connection or a failover is worth another try; a bug is not.
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def slice_build_task(params: dict) -> bool:
    """Build and cache the slice ``params`` (``dataclasses.asdict`` of a
    ``SliceParams``) asks for, unless it is cached for the current data
    version already; True when a slice is there now. Idempotent: a second
    delivery finds it cached. A centre that is gone or hidden, or parameters
    that name no centre, are logged and dropped."""
    try:
        slice_params = SliceParams.from_dict(params)
    except ValueError:
        logger.warning("graph slice task with bad parameters %r dropped", params)
        return False
    try:
        slice_get(slice_params, build=True)
    except SliceNotFound:
        logger.info(
            "graph slice of %s %s: no such centre",
            slice_params.centre_kind,
            slice_params.centre_key,
        )
        return False
    return True
