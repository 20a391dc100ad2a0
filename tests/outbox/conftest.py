import time

import pytest

from webmail.outbox.models import OutboxMessage


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; {_diagnosis()}")


def _diagnosis() -> str:
    """What the outbox and the broker looked like, to tell a lost task from a deaf worker."""
    import redis
    from django.conf import settings

    rows = list(OutboxMessage.objects.values_list("pk", "state", "attempts", "deadline", "dispatched_at", "last_error"))
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    keys = {key.decode(): broker.type(key).decode() for key in broker.keys("*")}
    return (f"outbox rows: {rows}; broker keys: {keys}; queued: {broker.llen('celery')}; "
            f"unacked: {broker.hlen('unacked')}")


def state_of(outbox: OutboxMessage) -> str:
    return OutboxMessage.objects.values_list("state", flat=True).get(pk=outbox.pk)


@pytest.fixture
def alice(signed_in_client):
    """The signed-in test user, as a Django user (the service functions take one)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=signed_in_client.mail_user.email.lower())


@pytest.fixture
def bob(make_mail_user):
    return make_mail_user("bob")


@pytest.fixture
def short_delay(settings):
    """Shorter cancel windows for tests (the settings page offers 5-30 s)."""

    def set_delay(seconds: float):
        settings.OUTBOX_DELAY_OVERRIDE = seconds

    set_delay(1.0)
    settings.OUTBOX_GRACE_SECONDS = 0
    settings.OUTBOX_REDISPATCH_SECONDS = 0
    settings.OUTBOX_RETRY_BASE_SECONDS = 1
    return set_delay


@pytest.fixture
def compose(signed_in_client):
    """Write a message through the compose page; returns (composition id, response of Envoyer)."""

    def write(to: str, subject: str = "Bonjour Bob", body: str = "Voici le texte.", send: bool = True, **extra):
        response = signed_in_client.get("/ecrire/" + extra.pop("query", ""))
        assert response.status_code == 302, response.content[:300]
        edit_url = response.url
        data = {"to": to, "cc": "", "bcc": "", "subject": subject, "body": body, **extra}
        data["action"] = "send" if send else "save"
        return edit_url, signed_in_client.post(edit_url, data)

    return write


def messages_in(imap, user, folder: str = "INBOX", criteria=None):
    with imap(user) as mailbox:
        uids = mailbox.search(folder, criteria or ["ALL"])
        return [mailbox.fetch_raw(folder, uid) for uid in uids]


def flush_broker(url: str) -> None:
    """Redis loses everything (queued tasks included) under live connections, as with a FLUSHALL
    or a restart without persistence. Nothing is declared again: Celery publishes tasks for a direct
    queue through the nameless exchange (no binding to lose), so later tasks still reach workers."""
    import redis

    redis.Redis.from_url(url).flushdb()
