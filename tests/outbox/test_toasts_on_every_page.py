"""The toasts are on every page; while the outbox has nothing to show, pages skip its query.

What must never happen: a toast missing because a page remembered "nothing to show" too long —
after a send from this browser or another one, or when a scheduled message leaves.
"""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from webmail.compose.models import Composition
from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State

pytestmark = [pytest.mark.imap, pytest.mark.django_db(transaction=True)]

PAGE = "/parametres/"  # any page with the toasts; this one needs no mail server


def outbox_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    return [q["sql"] for q in queries.captured_queries if "outbox_outboxmessage" in q["sql"]]


def second_browser(user) -> Client:
    other = Client()
    other.force_login(user)
    return other


def test_pages_skip_the_outbox_query_while_the_outbox_is_empty(signed_in_client):
    assert outbox_queries(signed_in_client)  # the first page looks
    assert outbox_queries(signed_in_client) == []
    assert outbox_queries(signed_in_client) == []


def test_a_send_shows_its_toast_in_this_browser_and_in_another(signed_in_client, alice, compose, bob, short_delay):
    short_delay(30)
    other = second_browser(alice)
    for browser in (signed_in_client, other):
        outbox_queries(browser)
        assert outbox_queries(browser) == []  # both quiet
    _, response = compose(bob.email)
    assert response.status_code == 302
    for browser in (signed_in_client, other):
        page = browser.get(PAGE).content.decode()
        assert "Envoi dans" in page and ">Annuler</button>" in page


def test_after_annuler_pages_go_quiet_again(signed_in_client, alice, compose, bob, short_delay):
    short_delay(30)
    compose(bob.email)
    outbox = OutboxMessage.objects.get()
    assert signed_in_client.post(f"/envoi/{outbox.pk}/annuler/").status_code == 302
    assert ">Annuler</button>" not in signed_in_client.get(PAGE).content.decode()
    assert outbox_queries(signed_in_client) == []


def test_a_scheduled_message_shows_its_toast_when_it_leaves(signed_in_client, alice, bob):
    due = timezone.now() + timedelta(seconds=1.5)
    composition = Composition.objects.create(user=alice, to=bob.email, subject="Tout à l'heure", body="…")
    scheduled = service.queue(composition, send_at=due, scheduled=True)
    OutboxMessage.objects.filter(pk=scheduled.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert 'class="toast toast-' not in signed_in_client.get(PAGE).content.decode()
    assert outbox_queries(signed_in_client) == []  # nothing to show before its time
    time.sleep(max(0.0, (due - timezone.now()).total_seconds()) + 0.1)
    # What the worker's claim does at that time: the row leaves, without telling any page.
    OutboxMessage.objects.filter(pk=scheduled.pk).update(state=State.SENDING, claimed_at=timezone.now())
    assert "Envoi en cours…" in signed_in_client.get(PAGE).content.decode()


def test_send_now_from_programmes_is_seen_by_a_quiet_page(signed_in_client, alice, bob, isolated_redis):
    composition = Composition.objects.create(user=alice, to=bob.email, subject="Demain", body="…")
    scheduled = service.queue(composition, send_at=timezone.now() + timedelta(days=1), scheduled=True)
    OutboxMessage.objects.filter(pk=scheduled.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    outbox_queries(signed_in_client)
    assert outbox_queries(signed_in_client) == []
    service.send_now(alice, scheduled.pk)
    OutboxMessage.objects.filter(pk=scheduled.pk).update(state=State.SENDING, claimed_at=timezone.now())
    assert "Envoi en cours…" in signed_in_client.get(PAGE).content.decode()
