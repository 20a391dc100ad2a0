"""Fixtures that start real servers: a private Dovecot, the project's SMTP submission server,
Redis (one database per xdist worker), a Celery worker, and headless Chromium.

Each xdist worker gets its own Dovecot and SMTP server; each test gets its own mail account,
so tests never see each other's mail.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass

import pytest
import redis
from django.test.utils import override_settings

from tests.helpers import OutboxBeat
from tests.postfix import PrivatePostfix
from webmail.demo.dovecot import PrivateDovecot
from webmail.demo.smtp import SubmissionServer
from webmail.imap import gateway


def pytest_addoption(parser):
    parser.addoption("--bench", action="store_true", help="run the benchmarks under tests/benchmarks")
    parser.addoption("--screenshots", default="", help="folder where browser tests save documentation screenshots")


def pytest_terminal_summary(terminalreporter):
    """The sending round trip's totals (tests/outbox/test_round_trip.py), one line per SMTP server."""
    totals: dict[str, dict[str, float]] = {}
    for report in terminalreporter.stats.get("passed", []):
        for key, value in getattr(report, "user_properties", []):
            if key == "round_trip":
                server = totals.setdefault(value["server"], {"cases": 0, "messages": 0, "bytes": 0, "attachments": 0})
                server["cases"] += 1
                for field in ("messages", "bytes", "attachments"):
                    server[field] += value[field]
    for server, t in sorted(totals.items()):
        terminalreporter.write_line(
            f"round trip via {server}: {t['cases']} messages written, {t['messages']} copies read back "
            f"(recipients and Envoyés), {t['bytes'] / 1e6:.1f} MB checked, {t['attachments']} attachments "
            "with equal SHA-256"
        )


def _worker_index() -> int:
    """This xdist worker's number, shifted by TEST_REDIS_DB_OFFSET so that two test runs on one
    machine (two checkouts, two developers) use different Redis databases."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw") or 0) + int(os.environ.get("TEST_REDIS_DB_OFFSET", 0))


@pytest.fixture(scope="session", autouse=True)
def isolated_redis():
    """A Redis database of its own for this xdist worker, emptied at the start."""
    from django.conf import settings

    base = settings.REDIS_URL.rsplit("/", 1)[0]
    url = f"{base}/{1 + _worker_index()}"
    redis.Redis.from_url(url).flushdb()
    caches = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": url}}
    from webmail.celery import app

    app.conf.broker_url = url
    with override_settings(REDIS_URL=url, CACHES=caches, CELERY_BROKER_URL=url):
        yield url


@pytest.fixture(autouse=True)
def _clock_independent_preferences(settings):
    """Sending at night would otherwise open the off-hours nudge in tests run at night; the tests
    of the nudge switch it on themselves."""
    settings.PREFERENCES_DEFAULTS = {"off_hours_nudge": False}


@pytest.fixture(autouse=True)
def _clean_cache(isolated_redis):
    """An empty cache, and the sign-in throttle back on Redis with no count kept in memory: after
    a Redis outage in an earlier test, its fallback would otherwise count the next few seconds'
    failures in memory and the rest in Redis (a lockout test saw five failures and no lock)."""
    from django.core.cache import cache

    from webmail.accounts import throttle

    cache.clear()
    throttle._redis_down_until = 0.0
    throttle._local.clear()
    yield


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory):
    server = PrivateDovecot(tmp_path_factory.mktemp("dovecot")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_server(dovecot):
    server = SubmissionServer(dovecot).start()
    yield server
    server.stop()


@pytest.fixture
def mail_settings(settings, dovecot, smtp_server):
    """Point the webmail at this worker's private Dovecot and SMTP server."""
    settings.IMAP_HOST = "127.0.0.1"
    settings.IMAP_PORT = dovecot.imap_port
    settings.IMAP_SECURITY = "none"
    settings.SMTP_HOST = "127.0.0.1"
    settings.SMTP_PORT = smtp_server.port
    settings.SMTP_SECURITY = "none"
    settings.MAIL_TIMEOUT = 5
    yield settings
    gateway.pool.clear()


@pytest.fixture(scope="session")
def postfix_server(tmp_path_factory, dovecot):
    """A private Postfix on this worker's Dovecot (see tests/postfix.py): strict submission with
    AUTH, bare LF refused, delivery by LMTP. Starts in ~0.4 s, once per xdist worker."""
    server = PrivatePostfix(tmp_path_factory.mktemp("postfix"), dovecot).start()
    yield server
    server.stop()


@pytest.fixture
def postfix_settings(mail_settings, postfix_server):
    """Like mail_settings, but the webmail sends through Postfix instead of the demo SMTP server.

    Request it instead of (or after) mail_settings; make_mail_user, signed_in_client, compose and
    celery_worker work unchanged, so one test body can run against either server, e.g.
    `@pytest.fixture(params=["mail_settings", "postfix_settings"])` + `request.getfixturevalue(...)`.
    IMAP stays on the same Dovecot, where Postfix delivers. Yields Django's settings; request
    `postfix_server` too for the running PrivatePostfix (its `.log()` / `.wait_for_log(regex)`
    read the maillog: every refusal and delivery is there). Only addresses of example.test
    (the accounts make_mail_user creates) are accepted; the first message to a new address
    waits ~1 s while Postfix asks Dovecot whether it exists.
    """
    mail_settings.SMTP_HOST = postfix_server.host
    mail_settings.SMTP_PORT = postfix_server.port
    mail_settings.SMTP_SECURITY = "none"
    yield mail_settings


@dataclass
class MailUser:
    email: str
    password: str


@pytest.fixture
def make_mail_user(mail_settings, dovecot):
    """Create accounts on the private Dovecot with their own (empty) mailboxes."""

    def make(name: str = "user") -> MailUser:
        user = MailUser(f"{name}-{uuid.uuid4().hex[:10]}@example.test", f"pw-{uuid.uuid4().hex[:12]}")
        dovecot.add_user(user.email, user.password)
        return user

    return make


@pytest.fixture
def mail_user(make_mail_user) -> MailUser:
    return make_mail_user("alice")


@pytest.fixture
def signed_in_client(client, mail_user):
    response = client.post("/compte/connexion/", {"email": mail_user.email, "password": mail_user.password})
    assert response.status_code == 302, response.content[:500]
    client.mail_user = mail_user
    return client


@pytest.fixture
def imap(mail_settings):
    """Direct access to a test account's mailbox through the gateway (to arrange and to check)."""

    def open_for(user: MailUser):
        return gateway.mailbox_for(user.email, user.password)

    return open_for


@pytest.fixture
def celery_worker(transactional_db, isolated_redis, settings):
    """A real Celery worker (threads, in this process) consuming this xdist worker's Redis queue,
    with the outbox part of beat beside it, as in production.

    The beat matters: in-process test workers were seen, rarely and only in full parallel runs, to
    never receive a task that was published (root cause not found; it does not reproduce with worker
    processes). Production recovers such a task through the sweeper, and so do the tests; the
    tests of the sweeper itself start their workers without this beat.
    """
    from celery.contrib.testing.worker import start_worker

    from webmail.celery import app

    settings.OUTBOX_REDISPATCH_SECONDS = min(settings.OUTBOX_REDISPATCH_SECONDS, 2)
    settings.OUTBOX_GRACE_SECONDS = min(settings.OUTBOX_GRACE_SECONDS, 2)
    # Tasks left by earlier tests (waiting, or restored unacknowledged at a worker's shutdown)
    # belong to rows that no longer exist: start each test with an empty queue.
    client = redis.Redis.from_url(isolated_redis)
    client.delete("celery", "unacked", "unacked_index", "unacked_mutex")
    beat = OutboxBeat()
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=10) as worker:
        beat.start()
        try:
            yield worker
        finally:
            beat.stopping.set()
            beat.join(timeout=10)
            _let_running_tasks_finish()


def _let_running_tasks_finish(timeout: float = 15) -> None:
    """A task still running when the test ends (filing the Sent copy after the recipient already
    has the message, say) writes to the database while the next step empties it: PostgreSQL then
    finds the two deadlocked (seen in CI). Stopping the worker does not wait for its threads."""
    from celery.worker import state

    deadline = time.monotonic() + timeout
    while state.active_requests and time.monotonic() < deadline:
        time.sleep(0.05)


# Browser -----------------------------------------------------------------------------------
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the Django calls that tests make
    # around it are ordinary synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    context.close()


@pytest.fixture
def screenshot(request, page):
    """Save a documentation screenshot when --screenshots=DIR is given (make screenshots)."""
    folder = request.config.getoption("--screenshots")

    def take(name: str, of=None) -> None:  # `of`: another page than the test's `page` (a phone's, say)
        if folder:
            os.makedirs(folder, exist_ok=True)
            (of or page).screenshot(path=os.path.join(folder, f"{name}.png"))

    return take
