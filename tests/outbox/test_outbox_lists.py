"""The Boîte d'envoi and Programmés show the state the server knows, and refresh while something is in
flight (issue 14): no "part dans 0 minute" with Annuler for a message that has left, no "Envoyer
maintenant" after "Le message part maintenant", a countdown in milliseconds, the user's zone named."""

import html
import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.helpers import preferences_data
from tests.outbox.conftest import state_of, wait_for
from webmail.compose.models import Composition
from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State

pytestmark = [pytest.mark.imap, pytest.mark.smtp, pytest.mark.django_db(transaction=True)]

HTMX = {"HTTP_HX_REQUEST": "true"}
BODY = ("Bonjour Bob,\n\nComme convenu, voici l'ordre du jour de la réunion de jeudi : budget 2027, "
        "recrutements à Łódź et à Rabat, déménagement des archives.\n\nBonne journée,\nAlice\n")


def _text(response) -> str:
    return " ".join(html.unescape(response.content.decode()).split())


def _poll(page: str, path: str) -> tuple[str, str] | None:
    """The list's polling: (version, interval), or None when the list does not poll."""
    found = re.search(rf'hx-get="{re.escape(path)}\?v=([0-9a-f]+)" hx-trigger="every (\d+s)"', page)
    return found.groups() if found else None


def _schedule(user, to: str, subject: str, at) -> OutboxMessage:
    composition = Composition.objects.create(user=user, to=to, subject=subject, body=BODY)
    return service.queue(composition, send_at=at, scheduled=True)


def test_boite_d_envoi_gives_the_time_left_in_milliseconds_and_counts_in_seconds(signed_in_client, compose, bob,
                                                                                 short_delay):
    short_delay(30)
    compose(bob.email, subject="Ordre du jour — jeudi", body=BODY)
    page = signed_in_client.get("/envoi/").content.decode()
    remaining = re.search(r'class="outbox-item outbox-pending"[^>]* data-remaining-ms="([^"]*)"', page)
    assert remaining and remaining.group(1).isdigit(), remaining
    assert 20_000 < int(remaining.group(1)) <= 30_000
    seconds = re.search(r'class="countdown"[^>]*>part dans (\d+) s<', page)
    assert seconds and 20 < int(seconds.group(1)) <= 30
    assert '<button type="submit" class="button">Annuler</button>' in page
    assert _poll(page, "/envoi/")[1] == "2s", "the list refreshes while a message waits"


def test_a_message_past_its_deadline_says_it_is_leaving_not_in_0_minute(signed_in_client, compose, bob,
                                                                        short_delay):
    short_delay(0.5)  # and no worker running: it stays pending after its deadline
    compose(bob.email, subject="Sans travailleur", body=BODY)
    time.sleep(1)
    response = signed_in_client.get("/envoi/")
    text = _text(response)
    assert "Part maintenant…" in text
    assert "0 minute" not in text
    assert 'data-remaining-ms="0"' in response.content.decode()


def test_boite_d_envoi_refreshes_until_the_message_has_left(signed_in_client, compose, bob, smtp_server,
                                                            celery_worker, short_delay):
    short_delay(2)
    compose(bob.email, subject="Compte rendu de réunion", body=BODY)
    outbox = OutboxMessage.objects.get()
    page = signed_in_client.get("/envoi/").content.decode()
    version, _interval = _poll(page, "/envoi/")
    # Nothing changed: 204, so the page (and the focus on Annuler) is left alone.
    assert signed_in_client.get("/envoi/", {"v": version}, **HTMX).status_code == 204

    wait_for(lambda: state_of(outbox) == State.SENT)
    fragment = signed_in_client.get("/envoi/", {"v": version}, **HTMX)
    assert fragment.status_code == 200
    text = _text(fragment)
    assert "<html" not in text and 'id="outbox-items"' in text, "the list alone, not the page"
    assert "Compte rendu de réunion" not in text and "Annuler" not in text
    assert "Aucun message en attente d'envoi." in text
    assert _poll(fragment.content.decode(), "/envoi/") is None, "polling stops when nothing is in flight"
    assert "HX-Request" in fragment["Vary"]


def test_programmes_after_envoyer_maintenant_offers_nothing_more_and_refreshes(signed_in_client, alice, bob):
    leaving = _schedule(alice, bob.email, "Budget 2027", timezone.now() + timedelta(days=1))
    later = _schedule(alice, bob.email, "Archives", timezone.now() + timedelta(days=2))
    response = signed_in_client.post(f"/envoi/programmes/{leaving.pk}/envoyer/", follow=True)
    page = response.content.decode()
    text = _text(response)
    assert "Le message part maintenant." in text
    items = dict(re.findall(r'<li class="outbox-item scheduled-item[^"]*" data-outbox-id="(\d+)">(.*?)</li>', page,
                            re.S))
    assert "Part maintenant…" in items[str(leaving.pk)]
    for action in ("Envoyer maintenant", "Modifier", "Annuler l'envoi", "Reprogrammer"):
        assert action not in items[str(leaving.pk)], action
        assert action in items[str(later.pk)], action
    version, interval = _poll(page, "/envoi/programmes/")
    assert interval == "2s"

    assert service.deliver(leaving.pk) == "sent"  # what the worker does
    fragment = signed_in_client.get("/envoi/programmes/", {"v": version}, **HTMX)
    assert fragment.status_code == 200
    text = _text(fragment)
    assert "Budget 2027" not in text and "Archives" in text
    assert _poll(fragment.content.decode(), "/envoi/programmes/")[1] == "60s", "only a far message is left"


def test_programmes_with_nothing_scheduled_does_not_poll(signed_in_client):
    page = signed_in_client.get("/envoi/programmes/").content.decode()
    assert "Aucun message programmé." in page
    assert _poll(page, "/envoi/programmes/") is None


def test_the_reschedule_menu_names_the_users_time_zone(signed_in_client, alice, bob):
    signed_in_client.post("/parametres/", preferences_data(time_zone="America/Argentina/Buenos_Aires"))
    _schedule(alice, bob.email, "Reunión de presupuesto", timezone.now() + timedelta(days=1))
    text = _text(signed_in_client.get("/envoi/programmes/"))
    assert "Heures dans votre fuseau horaire (America/Argentina/Buenos_Aires)." in text
    assert "fuseau horaire ()" not in text
    english = _text(signed_in_client.get("/envoi/programmes/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Times are in your time zone (America/Argentina/Buenos_Aires)." in english
