"""Programmés → Modifier keeps the message's time unless the user chooses otherwise (issue 14).

Modifier takes the message out of Programmés (the same claim as Annuler: saved to Drafts first,
then pending → cancelled), and the compose page shows the time it had, with "Programmer pour …"
as its main action, "Envoyer maintenant" and another time still on offer. Never lost, never sent
twice, never before its time.
"""

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from tests.outbox.conftest import messages_in, state_of, wait_for
from webmail.compose.models import Composition
from webmail.mailbox.parse import parse_message
from webmail.outbox import schedule, service
from webmail.outbox.models import OutboxMessage, State
from webmail.preferences.models import Preferences

pytestmark = [pytest.mark.imap, pytest.mark.smtp, pytest.mark.django_db(transaction=True)]

BODY = ("Bonjour Bob,\n\nVoici le planning des astreintes de décembre. Merci de me dire avant vendredi "
        "si une date ne te convient pas.\n\nAlice\n")
EDITED = BODY.replace("avant vendredi", "avant jeudi midi") + "\nPS : Łukasz remplace Yasmina le 24.\n"


def _schedule(user, to: str, at: datetime) -> OutboxMessage:
    composition = Composition.objects.create(user=user, to=to, subject="Astreintes de décembre", body=BODY)
    return service.queue(composition, send_at=at, scheduled=True)


def _in_three_days_at_eight() -> datetime:
    paris = ZoneInfo("Europe/Paris")
    day = (timezone.now() + timedelta(days=3)).astimezone(paris).date()
    return datetime(day.year, day.month, day.day, 8, 0, tzinfo=paris)


def _phrases(user, at: datetime) -> tuple[str, str]:
    """("lundi 08:00", "lundi 1 déc. 08:00, heure de Paris") as the page says them, in French."""
    hours = Preferences.for_user(user).office_hours()
    with translation.override("fr"):
        return schedule.when_phrase(at, timezone.now(), hours), schedule.describe(at, hours, timezone.now())


def _modifier(client, outbox: OutboxMessage) -> str:
    response = client.post(f"/envoi/programmes/{outbox.pk}/modifier/")
    assert response.status_code == 302 and "/ecrire/" in response.url
    return response.url


def _post(client, edit_url: str, bob, **choice):
    return client.post(edit_url, {"to": bob.email, "cc": "", "bcc": "", "subject": "Astreintes de décembre",
                                  "body": EDITED, "confirmed": "1", **choice})


def test_modifier_shows_the_time_and_programmer_keeps_it(alice, bob, imap, signed_in_client):
    at = _in_three_days_at_eight()
    first = _schedule(alice, bob.email, at)
    edit_url = _modifier(signed_in_client, first)
    assert state_of(first) == State.CANCELLED
    assert len(messages_in(imap, signed_in_client.mail_user, "Drafts")) == 1, "in Drafts meanwhile, never lost"

    short, exact = _phrases(alice, at)
    page = signed_in_client.get(edit_url).content.decode()
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", page)).split())
    assert f"Programmé pour {short} ({exact})." in text
    assert "Il reste un brouillon tant que vous ne le programmez pas de nouveau ou ne l'envoyez pas." in text
    kept = re.search(r'<button type="submit" name="schedule_at" value="kept" class="button primary">([^<]+)</button>',
                     page)
    assert kept and html.unescape(kept.group(1)) == f"Programmer pour {short}"
    assert '<button type="submit" name="action" value="send" class="button">Envoyer maintenant</button>' in page
    assert "Choisir une autre heure" in page

    assert _post(signed_in_client, edit_url, bob, schedule_at="kept").status_code == 302
    again = OutboxMessage.objects.exclude(pk=first.pk).get()
    assert again.scheduled and again.state == State.PENDING and again.deadline == at
    assert "avant jeudi midi" in parse_message(bytes(again.raw)).text, "the edited text leaves"
    assert Composition.objects.get().scheduled_for is None, "the remembered time is used up"
    listed = " ".join(html.unescape(signed_in_client.get("/envoi/programmes/").content.decode()).split())
    assert exact in listed


def test_modifier_then_envoyer_maintenant_sends_normally(alice, bob, signed_in_client, short_delay):
    short_delay(30)
    first = _schedule(alice, bob.email, _in_three_days_at_eight())
    edit_url = _modifier(signed_in_client, first)
    assert _post(signed_in_client, edit_url, bob, action="send").status_code == 302
    again = OutboxMessage.objects.exclude(pk=first.pk).get()
    assert not again.scheduled
    assert again.deadline <= timezone.now() + timedelta(seconds=30)


def test_modifier_then_another_time(alice, bob, signed_in_client):
    first = _schedule(alice, bob.email, _in_three_days_at_eight())
    edit_url = _modifier(signed_in_client, first)
    other = (_in_three_days_at_eight() + timedelta(days=1)).replace(hour=14, minute=30)
    response = _post(signed_in_client, edit_url, bob, schedule_at="custom",
                     schedule_local=other.strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 302
    assert OutboxMessage.objects.exclude(pk=first.pk).get().deadline == other


def test_a_kept_time_now_past_is_not_offered_and_never_used(alice, bob, signed_in_client):
    first = _schedule(alice, bob.email, _in_three_days_at_eight())
    edit_url = _modifier(signed_in_client, first)
    past = timezone.now() - timedelta(hours=2)  # the user came back to the page after its time
    Composition.objects.update(scheduled_for=past)
    text = " ".join(html.unescape(signed_in_client.get(edit_url).content.decode()).split())
    assert "une heure déjà passée : envoyez-le maintenant ou choisissez une autre heure." in text
    assert 'value="kept"' not in text
    response = _post(signed_in_client, edit_url, bob, schedule_at="kept")
    assert response.status_code == 400
    assert "Cette heure est déjà passée." in response.content.decode()
    assert not OutboxMessage.objects.exclude(pk=first.pk).exists()


def test_kept_time_leaves_once_and_not_before_its_time(alice, bob, smtp_server, celery_worker, signed_in_client,
                                                       settings):
    settings.OUTBOX_DISPATCH_AHEAD_SECONDS = 60
    at = timezone.now() + timedelta(seconds=6)
    first = _schedule(alice, bob.email, at)
    edit_url = _modifier(signed_in_client, first)
    assert _post(signed_in_client, edit_url, bob, schedule_at="kept").status_code == 302
    again = OutboxMessage.objects.exclude(pk=first.pk).get()
    wait_for(lambda: state_of(again) == State.SENT, timeout=30)
    again.refresh_from_db()
    assert again.sent_at >= at, "never before its time"
    service.sweep()
    assert len(smtp_server.messages_with_id(again.message_id)) == 1
    assert not smtp_server.messages_with_id(first.message_id)
    assert state_of(first) == State.CANCELLED
