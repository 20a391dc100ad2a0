import time

from celery import shared_task
from django.core.cache import cache

HEARTBEAT_KEY = "celery:heartbeat"


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Beat sends this every 30 s; a worker running it proves both are alive (see /readyz)."""
    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)
