"""/healthz and /readyz as a load balancer sees them: no session, plain GETs, never cached."""

import re
import time

import pytest
from django.core.cache import cache

from tests.outbox.conftest import wait_for
from webmail.core import health
from webmail.core.tasks import HEARTBEAT_KEY, heartbeat
from webmail.demo.dovecot import free_port

pytestmark = [pytest.mark.redis]


def _not_cached(response) -> bool:
    return "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]


def test_healthz_answers_ok_without_a_session_or_the_database(client):
    # No django_db mark: any database access here would raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert _not_cached(response)


@pytest.mark.celery
def test_readyz_is_ready_when_database_redis_and_a_worker_run_beats_heartbeat(client, celery_worker):
    heartbeat.delay()  # what beat sends every 30 s, run by the real worker
    wait_for(lambda: cache.get(HEARTBEAT_KEY), timeout=20)
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok", "celery": "ok"}}
    assert _not_cached(response)


@pytest.mark.django_db
def test_readyz_is_unavailable_when_redis_is_unreachable(client, settings):
    heartbeat()
    closed = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": closed}}
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error: ")
    assert body["checks"]["celery"] != "ok"
    assert str(closed.split(":")[-1].split("/")[0]) not in response.content.decode(), "no URLs in the answer"


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_heartbeat_is_stale(client):
    cache.set(HEARTBEAT_KEY, time.time() - 300, timeout=None)  # beat or every worker stopped 5 min ago
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == checks["redis"] == "ok"
    assert re.match(r"stale: last heartbeat 30\d s ago", checks["celery"])


@pytest.mark.django_db
def test_readyz_is_unavailable_before_the_first_heartbeat(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "no heartbeat" in response.json()["checks"]["celery"]


@pytest.mark.django_db(transaction=True)
def test_the_container_health_check_probes(live_server, monkeypatch):
    """What compose runs: `python -m webmail.core.health live` (web) and `... heartbeat` (beat)."""
    monkeypatch.setenv("PORT", live_server.url.rsplit(":", 1)[1])
    assert health._probe(["live"]) == 0
    assert health._probe(["heartbeat"]) == 1, "no heartbeat yet"
    heartbeat()
    assert health._probe(["heartbeat"]) == 0
    monkeypatch.setenv("PORT", str(free_port()))  # nothing listening
    assert health._probe(["live"]) == 1
    assert health._probe(["anything else"]) == 2
