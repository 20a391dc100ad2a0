import time

import pytest
from django.core.cache import cache

from webmail.core.tasks import HEARTBEAT_KEY, heartbeat

pytestmark = [pytest.mark.celery, pytest.mark.redis]


def test_a_real_worker_runs_the_heartbeat_through_redis(celery_worker):
    before = time.time()
    heartbeat.delay()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not cache.get(HEARTBEAT_KEY):
        time.sleep(0.05)
    assert cache.get(HEARTBEAT_KEY) >= before
