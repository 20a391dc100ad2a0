"""Scheduled send: the same outbox and guarantees, with the dispatcher instead of long ETA tasks."""

import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis
from django.utils import timezone

from tests.helpers import preferences_data
from tests.outbox.conftest import flush_broker, messages_in, state_of, wait_for
from webmail.compose.models import Composition
from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State

pytestmark = [pytest.mark.imap, pytest.mark.smtp, pytest.mark.django_db(transaction=True)]


def _schedule(user, to, subject, at) -> OutboxMessage:
    composition = Composition.objects.create(user=user, to=to, subject=subject, body="Bonne journée")
    return service.queue(composition, send_at=at, scheduled=True)


def _queued_tasks(url) -> int:
    return redis.Redis.from_url(url).llen("celery")


def test_a_far_message_waits_in_the_database_not_in_the_broker(alice, bob, isolated_redis, settings):
    outbox = _schedule(alice, bob.email, "dans deux jours", timezone.now() + timedelta(days=2))
    assert _queued_tasks(isolated_redis) == 0
    assert service.sweep()["dispatched"] == 0
    assert OutboxMessage.objects.get(pk=outbox.pk).dispatched_at is None


def test_the_dispatcher_hands_it_over_once_shortly_before_its_time(alice, bob, isolated_redis, settings):
    settings.OUTBOX_DISPATCH_AHEAD_SECONDS = 300
    outbox = _schedule(alice, bob.email, "bientôt", timezone.now() + timedelta(hours=1))
    OutboxMessage.objects.filter(pk=outbox.pk).update(deadline=timezone.now() + timedelta(minutes=4))
    assert service.sweep()["dispatched"] == 1
    for _ in range(5):  # every later pass (and a second beat started by mistake) does nothing
        assert service.sweep()["dispatched"] == 0
    assert _queued_tasks(isolated_redis) == 1


def test_scheduled_message_is_delivered_at_its_time_exactly_once(alice, bob, imap, smtp_server, celery_worker,
                                                                 settings):
    settings.OUTBOX_DISPATCH_AHEAD_SECONDS = 1
    at = timezone.now() + timedelta(seconds=2.5)
    outbox = _schedule(alice, bob.email, "à l'heure", at)
    for _ in range(12):  # beat passes every 250 ms
        service.sweep()
        time.sleep(0.25)
    wait_for(lambda: state_of(outbox) == State.SENT)
    outbox.refresh_from_db()
    assert outbox.sent_at >= at, "never before its time"
    assert len(smtp_server.messages_with_id(outbox.message_id)) == 1
    assert len(messages_in(imap, bob)) == 1


def test_it_survives_a_redis_flush_and_restarts(alice, bob, smtp_server, isolated_redis, celery_worker, settings):
    settings.OUTBOX_DISPATCH_AHEAD_SECONDS = 60
    settings.OUTBOX_GRACE_SECONDS = 0
    outbox = _schedule(alice, bob.email, "redis vidé", timezone.now() + timedelta(seconds=1))
    flush_broker(isolated_redis)  # the dispatched task is gone with Redis's contents
    time.sleep(1.2)
    service.sweep()  # beat after the restart: overdue, so handed over again
    wait_for(lambda: state_of(outbox) == State.SENT)
    assert len(smtp_server.messages_with_id(outbox.message_id)) == 1


def test_undone_then_scheduled_sends_at_the_scheduled_time_not_at_once(compose, bob, smtp_server, celery_worker,
                                                                       short_delay, signed_in_client, alice):
    short_delay(2)
    edit_url, _ = compose(bob.email, subject="Annulé puis programmé")
    first = OutboxMessage.objects.get()
    assert signed_in_client.post(f"/envoi/{first.pk}/annuler/").status_code == 302
    later = timezone.now() + timedelta(hours=3)
    scheduled = service.queue(Composition.objects.get(), send_at=later, scheduled=True)
    time.sleep(3)
    service.sweep()
    assert state_of(scheduled) == State.PENDING
    assert not smtp_server.messages_with_id(scheduled.message_id)
    assert not smtp_server.messages_with_id(first.message_id)


def test_cancel_puts_it_back_in_drafts_and_it_never_leaves(alice, bob, imap, smtp_server, signed_in_client,
                                                           settings):
    outbox = _schedule(alice, bob.email, "à annuler", timezone.now() + timedelta(days=1))
    response = signed_in_client.post(f"/envoi/programmes/{outbox.pk}/annuler/")
    assert response.status_code == 302
    assert state_of(outbox) == State.CANCELLED
    drafts = messages_in(imap, signed_in_client.mail_user, "Drafts")
    assert len(drafts) == 1 and b"annuler" in drafts[0]
    assert "à annuler" not in signed_in_client.get("/envoi/programmes/").content.decode()
    OutboxMessage.objects.filter(pk=outbox.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    service.sweep()
    assert not smtp_server.messages_with_id(outbox.message_id)


def test_cancel_with_imap_down_keeps_it_scheduled_never_vanishing(alice, bob, signed_in_client, mail_settings):
    from webmail.demo.dovecot import free_port

    outbox = _schedule(alice, bob.email, "ne doit pas disparaître", timezone.now() + timedelta(days=1))
    mail_settings.IMAP_PORT = free_port()
    from webmail.imap import gateway

    gateway.pool.clear()
    response = signed_in_client.post(f"/envoi/programmes/{outbox.pk}/annuler/")
    assert response.status_code == 503
    assert state_of(outbox) == State.PENDING, "still in Programmés since Drafts could not take it"


def test_edit_reopens_compose_and_rescheduling_sends_once(alice, bob, smtp_server, celery_worker, signed_in_client,
                                                          settings):
    settings.OUTBOX_DISPATCH_AHEAD_SECONDS = 60
    outbox = _schedule(alice, bob.email, "à modifier", timezone.now() + timedelta(days=1))
    response = signed_in_client.post(f"/envoi/programmes/{outbox.pk}/modifier/")
    assert response.status_code == 302 and "/ecrire/" in response.url
    assert state_of(outbox) == State.CANCELLED
    again = service.queue(Composition.objects.get(), send_at=timezone.now() + timedelta(seconds=1), scheduled=True)
    wait_for(lambda: state_of(again) == State.SENT)
    time.sleep(0.5)
    service.sweep()
    assert len(smtp_server.messages_with_id(again.message_id)) == 1
    assert not smtp_server.messages_with_id(outbox.message_id)


def test_send_now_and_reschedule_from_programmes(alice, bob, smtp_server, celery_worker, signed_in_client):
    first = _schedule(alice, bob.email, "tout de suite", timezone.now() + timedelta(days=1))
    second = _schedule(alice, bob.email, "plus tard", timezone.now() + timedelta(days=1))
    assert signed_in_client.post(f"/envoi/programmes/{first.pk}/envoyer/").status_code == 302
    wait_for(lambda: state_of(first) == State.SENT)
    response = signed_in_client.post(f"/envoi/programmes/{second.pk}/reprogrammer/",
                                     {"schedule_at": "custom", "schedule_local": "2099-01-01T08:00"})
    assert response.status_code == 302
    assert "Vous pouvez programmer au plus" in signed_in_client.get("/envoi/programmes/").content.decode()
    local = (timezone.now() + timedelta(days=3)).astimezone(ZoneInfo("Europe/Paris")).replace(hour=9, minute=30)
    signed_in_client.post(f"/envoi/programmes/{second.pk}/reprogrammer/",
                          {"schedule_at": "custom", "schedule_local": local.strftime("%Y-%m-%dT%H:%M")})
    second.refresh_from_db()
    assert second.deadline == local.replace(second=0, microsecond=0)
    assert second.state == State.PENDING


def test_programmes_lists_soonest_first_with_local_time(alice, bob, signed_in_client):
    paris = ZoneInfo("Europe/Paris")
    late = datetime(2099, 3, 2, 8, 0, tzinfo=paris)
    soon = datetime(2099, 3, 1, 8, 0, tzinfo=paris)
    _schedule(alice, bob.email, "le second", late)
    _schedule(alice, bob.email, "le premier", soon)
    html = signed_in_client.get("/envoi/programmes/").content.decode()
    assert html.index("le premier") < html.index("le second")
    assert "08:00, heure de Paris" in html
    assert bob.email in html


def test_schedule_from_compose_with_a_preset_keeps_local_time(compose, bob, signed_in_client):
    signed_in_client.post("/parametres/", preferences_data(time_zone="America/New_York"))
    edit_url, _ = compose(bob.email, subject="Demain", send=False)
    page = signed_in_client.get(edit_url).content.decode()
    assert "Programmer l&#x27;envoi" in page or "Programmer l'envoi" in page
    assert "heure de New York" in page
    # The presets offered depend on the day the test runs (no "next office slot" when it is tomorrow morning).
    offered = re.findall(r'name="schedule_at" value="([a-z_]+)" class="preset"', page)
    assert offered and set(offered) <= {"tomorrow_morning", "tomorrow_afternoon", "monday_morning", "next_office_slot"}
    response = signed_in_client.post(edit_url, {"to": bob.email, "cc": "", "bcc": "", "subject": "Demain",
                                                "body": "Bonjour Bob, voici le point.", "schedule_at": offered[-1],
                                                "confirmed": "1"})
    assert response.status_code == 302
    outbox = OutboxMessage.objects.get()
    local = outbox.deadline.astimezone(ZoneInfo("America/New_York"))
    assert outbox.scheduled and 8 <= local.hour < 18
    toasts = signed_in_client.get("/envoi/toasts/").content.decode()
    assert "Envoi programmé pour" in toasts and "Annuler" in toasts


def test_a_time_in_the_past_is_refused_and_the_message_stays_intact(compose, bob, signed_in_client):
    edit_url, _ = compose(bob.email, subject="Passé", send=False)
    response = signed_in_client.post(edit_url, {"to": bob.email, "cc": "", "bcc": "", "subject": "Passé",
                                                "body": "Texte à garder", "schedule_at": "custom",
                                                "schedule_local": "2020-01-01T08:00"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Cette heure est déjà passée." in html and "Texte à garder" in html
    assert not OutboxMessage.objects.exists()


def test_a_scheduled_message_can_be_opened(alice, bob, signed_in_client):
    outbox = _schedule(alice, bob.email, "Ordre du jour", timezone.now() + timedelta(days=1))
    html = signed_in_client.get(f"/envoi/programmes/{outbox.pk}/").content.decode()
    assert "Ordre du jour" in html and "Bonne journée" in html and bob.email in html
    assert "heure de Paris" in html


def test_boite_d_envoi_lists_messages_in_their_window_with_annuler(signed_in_client, compose, bob, short_delay):
    short_delay(30)
    compose(bob.email, subject="Dans la fenêtre")
    html = signed_in_client.get("/envoi/").content.decode()
    assert "Dans la fenêtre" in html and bob.email in html
    assert '<button type="submit" class="button">Annuler</button>' in html
