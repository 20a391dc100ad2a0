"""Health endpoints for load balancers and orchestrators, and the probes the compose health checks run.

/healthz  liveness: the process answers. Touches nothing else, so a database or Redis outage never
          gets healthy web processes restarted.
/readyz   readiness: the database answers, Redis answers, and Celery beat and a worker are alive,
          proven by the heartbeat beat schedules every 30 s and a worker writes (core/tasks.py).
          503 with a JSON body naming what failed.

`python -m webmail.core.health live|heartbeat` runs a probe from inside a container (see
compose/docker-compose.yml) and exits 0 when healthy.
"""

from __future__ import annotations

import sys
import time

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

HEARTBEAT_MAX_AGE_SECONDS = 120  # four missed beats of 30 s
PROBE_TIMEOUT_SECONDS = 3
PROBES = ("live", "heartbeat")  # python -m webmail.core.health <probe>


@login_not_required
@never_cache
@require_safe
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@never_cache
@require_safe
def readyz(request):
    checks = readiness()
    ready = all(result == "ok" for result in checks.values())
    return JsonResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                        status=200 if ready else 503)


def readiness() -> dict[str, str]:
    """Each check's result: "ok" or a short reason (no secrets: URLs and passwords stay out)."""
    return {"database": check_database(), "redis": check_redis(), "celery": check_heartbeat()}


def check_database() -> str:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any driver error means "not ready"
        return f"error: {type(error).__name__}"
    return "ok"


def check_redis() -> str:
    import redis
    from django.conf import settings

    # A client of its own with short timeouts: the cache's client could hang on a dead host.
    client = redis.Redis.from_url(
        settings.CACHES["default"]["LOCATION"],
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS, socket_timeout=PROBE_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    except redis.RedisError as error:
        return f"error: {type(error).__name__}"
    finally:
        client.close()
    return "ok"


def check_heartbeat() -> str:
    from django.core.cache import cache

    from webmail.core.tasks import HEARTBEAT_KEY

    try:
        beat = cache.get(HEARTBEAT_KEY)
    except Exception as error:  # Redis down: reported by check_redis too
        return f"error: {type(error).__name__}"
    if beat is None:
        return "no heartbeat yet: is Celery beat running, and a worker?"
    age = time.time() - float(beat)
    if age > HEARTBEAT_MAX_AGE_SECONDS:
        return f"stale: last heartbeat {age:.0f} s ago (beat or every worker down)"
    return "ok"


def worker_alive() -> bool:
    """A worker (and beat) went round lately, as far as the heartbeat tells; False when it cannot
    tell (Redis down: no worker gets a task then either). The outbox toast says "late" or "stopped"."""
    return check_heartbeat() == "ok"


def _probe(argv: list[str]) -> int:
    """Container health checks: `live` asks this container's web server for /healthz;
    `heartbeat` checks that beat's heartbeat went round recently (the beat container's check)."""
    import os
    import urllib.request

    import django

    what = argv[0] if argv else ""
    if what == "live":
        port = os.environ.get("PORT", "8000")
        # X-Forwarded-Proto: behind a TLS proxy (DJANGO_BEHIND_PROXY) this is what the proxy sends,
        # so DJANGO_HTTPS's redirect does not turn the probe into a 301.
        request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz",
                                         headers={"X-Forwarded-Proto": "https"})
        try:
            with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT_SECONDS) as response:
                return 0 if response.status == 200 else 1
        except OSError as error:
            print(f"unhealthy: {error}", file=sys.stderr)
            return 1
    if what == "heartbeat":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webmail.settings")
        django.setup()
        result = check_heartbeat()
        print(result)
        return 0 if result == "ok" else 1
    print(f"usage: python -m webmail.core.health {'|'.join(PROBES)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_probe(sys.argv[1:]))
