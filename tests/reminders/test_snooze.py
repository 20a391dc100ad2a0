"""Snooze: out of the inbox into "Reportés", back unread at its time, against Dovecot and a real
Celery worker; forgotten when moved elsewhere meanwhile; the wake-up racing the user's own move."""

import random
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.mailbox.conftest import build
from tests.outbox.conftest import wait_for
from webmail.reminders import service, tasks
from webmail.reminders.models import Snooze

pytestmark = [pytest.mark.imap, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

BODY = "Bonjour,\n\nLe devis signé est en pièce jointe. Zażółć gęślą jaźń. شكرا جزيلا.\n" * 30


@pytest.fixture
def received(signed_in_client, imap):
    """A read message in the inbox, with its Message-ID, as delivered mail has."""
    user = signed_in_client.mail_user
    raw = b"Message-ID: <devis-2027-114@example.fr>\n" + build(subject="Devis signé n° 2027-114", body=BODY)
    with imap(user) as mailbox:
        mailbox.append("INBOX", raw, flags=("\\Seen",))
        [uid] = mailbox.search("INBOX", ["ALL"])
    return uid


def _tomorrow_local() -> str:
    return (datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=1)).strftime("%Y-%m-%dT08:00")


def _where(imap, user):
    with imap(user) as mailbox:
        return {folder: mailbox.search(folder, ["ALL"]) for folder in ("INBOX", "Reportés", "Archive")
                if folder in mailbox.folder_names()}


def test_snooze_leaves_the_inbox_and_comes_back_unread(signed_in_client, received, imap, celery_worker):
    user = signed_in_client.mail_user
    page = signed_in_client.get(f"/mail/{received}/?folder=INBOX").content.decode()
    assert "Reporter" in page and "Demain matin" in page
    response = signed_in_client.post("/rappels/reporter/", {
        "folder": "INBOX", "uid": received, "schedule_at": "custom", "schedule_local": _tomorrow_local(),
        "next": "/mail/?folder=INBOX"})
    assert response.status_code == 302 and response["Location"] == "/mail/?folder=INBOX"
    where = _where(imap, user)
    assert where["INBOX"] == [] and len(where["Reportés"]) == 1, "out of the inbox, in a folder other clients see"
    row = Snooze.objects.get()
    assert row.state == Snooze.State.WAITING and row.message_id == "<devis-2027-114@example.fr>"
    assert "Reporté à" in signed_in_client.get("/mail/").content.decode()

    Snooze.objects.filter(pk=row.pk).update(wake_at=timezone.now())
    tasks.sweep.delay()
    wait_for(lambda: Snooze.objects.get(pk=row.pk).state == Snooze.State.WOKEN)
    where = _where(imap, user)
    assert len(where["INBOX"]) == 1 and where["Reportés"] == []
    with imap(user) as mailbox:
        assert mailbox.search("INBOX", ["UNSEEN"]) == where["INBOX"], "back unread"
    assert "Devis signé n° 2027-114" in signed_in_client.get("/mail/").content.decode()


def test_a_snoozed_message_moved_elsewhere_meanwhile_is_forgotten(signed_in_client, received, imap, alice):
    user = signed_in_client.mail_user
    row = service.snooze(alice, "INBOX", received, timezone.now() + timedelta(hours=2))
    with imap(user) as mailbox:  # another client files it while it sleeps
        mailbox.move("Reportés", [row.uid], "Archive")
    Snooze.objects.filter(pk=row.pk).update(wake_at=timezone.now())
    assert service.wake(row.pk) == Snooze.State.FORGOTTEN
    where = _where(imap, user)
    assert where["INBOX"] == [] and len(where["Archive"]) == 1
    assert service.wake(row.pk) == "skipped", "once"


def test_a_wake_up_left_half_done_by_a_dead_worker_is_taken_again(signed_in_client, received, imap, alice):
    row = service.snooze(alice, "INBOX", received, timezone.now())
    Snooze.objects.filter(pk=row.pk).update(state=Snooze.State.WAKING,
                                            claimed_at=timezone.now() - timedelta(minutes=20))
    follow_ups, snoozes = service.due()
    assert snoozes == [row.pk]
    assert service.wake(row.pk) == Snooze.State.WOKEN
    assert len(_where(imap, signed_in_client.mail_user)["INBOX"]) == 1


def test_a_wake_up_against_the_user_moving_the_message(signed_in_client, imap, alice, put_mail):
    """The wake-up and the user's move to Archive at the same moment, 20 times: the message is
    always in exactly one place, and the row says which (WOKEN: inbox, FORGOTTEN: archive)."""
    user = signed_in_client.mail_user
    outcomes, rng = [], random.Random(20261130)
    for i in range(40):
        put_mail(user, [f"Message-ID: <course-{i}@example.fr>\n".encode() + build(subject=f"Course {i}", body=BODY)])
        with imap(user) as mailbox:
            [uid] = mailbox.search("INBOX", ["ALL"])
        row = service.snooze(alice, "INBOX", uid, timezone.now())

        delay = rng.uniform(0, 0.03)  # the user moves it at a random moment of the wake-up

        def user_moves(row=row, delay=delay):
            time.sleep(delay)
            with imap(user) as mailbox:
                mailbox.move("Reportés", [row.uid], "Archive")  # moves nothing if the wake-up won

        threads = [threading.Thread(target=service.wake, args=(row.pk,)), threading.Thread(target=user_moves)]
        for thread in threads[i % 2:] + threads[:i % 2]:
            thread.start()
        for thread in threads:
            thread.join()
        where = _where(imap, user)
        state = Snooze.objects.get(pk=row.pk).state
        assert len(where["INBOX"]) + len(where["Archive"]) == 1 and where["Reportés"] == [], (i, where)
        assert (state, len(where["INBOX"])) in ((Snooze.State.WOKEN, 1), (Snooze.State.FORGOTTEN, 0)), (i, state)
        outcomes.append(state)
        with imap(user) as mailbox:
            for folder, uids in where.items():
                if uids:
                    mailbox.delete_permanently(folder, uids)
    assert len(set(outcomes)) == 2, "both orders should happen"


def test_bad_input_and_get_are_refused(signed_in_client, received):
    assert signed_in_client.get("/rappels/reporter/").status_code == 405
    for data in ({"folder": "INBOX", "uid": "x", "schedule_at": "custom", "schedule_local": _tomorrow_local()},
                 {"folder": "INBOX", "uid": received, "schedule_at": "custom", "schedule_local": "bientôt"},
                 {"folder": "INBOX", "uid": received, "schedule_at": "nope"}):
        assert signed_in_client.post("/rappels/reporter/", data).status_code == 400, data
    response = signed_in_client.post("/rappels/reporter/", {"folder": "INBOX", "uid": "4242", "schedule_at": "custom",
                                                            "schedule_local": _tomorrow_local()})
    assert response.status_code == 404
    assert not Snooze.objects.exists()
