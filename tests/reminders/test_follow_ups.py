"""Follow-ups: "Me le rappeler s'il n'y a pas de réponse", against Dovecot, the SMTP server and a
real Celery worker; the reminder fires once, and a reply that came first cancels it."""

import threading
import time
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.utils import timezone

from tests.outbox.conftest import wait_for
from webmail.compose.models import Composition
from webmail.outbox.models import OutboxMessage
from webmail.reminders import service, tasks
from webmail.reminders.models import FollowUp

pytestmark = [pytest.mark.imap, pytest.mark.smtp, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

PROPOSAL = ("Bonjour Bob,\n\nComme convenu, voici notre proposition pour la refonte du site : trois sprints de "
            "deux semaines, 18 400 € HT. Merci de me dire avant vendredi si cela vous convient.\n") * 10


def _sent(compose, bob, short_delay, subject="Proposition refonte du site"):
    short_delay(0.5)
    compose(f"Bob Martin <{bob.email}>", subject=subject, body=PROPOSAL)
    sent = OutboxMessage.objects.order_by("-pk").first()
    wait_for(lambda: OutboxMessage.objects.get(pk=sent.pk).filed)
    sent.refresh_from_db()
    return sent


def _reply(imap, to_user, sender, in_reply_to: str, *, references: str = "", header="In-Reply-To") -> None:
    message = EmailMessage()
    message["From"] = f"Bob Martin <{sender.email}>"
    message["To"] = to_user.email
    message["Subject"] = "Re: Proposition refonte du site"
    message["Message-ID"] = make_msgid(domain="example.fr")
    message[header] = in_reply_to if header == "In-Reply-To" else f"{references} {in_reply_to}".strip()
    message.set_content("Bonjour,\n\nC'est d'accord pour nous. Bien à vous,\nBob")
    with imap(to_user) as mailbox:
        mailbox.append("INBOX", message.as_bytes())


def _set(signed_in_client, sent, days="1"):
    response = signed_in_client.post("/rappels/suivi/", {"folder": sent.sent_folder, "uid": sent.sent_uid,
                                                        "days": days, "next": "/mail/"})
    assert response.status_code == 302, response.content[:300]
    return FollowUp.objects.get(message_id=sent.message_id)


def test_no_reply_the_sent_message_comes_back_with_relancer(compose, bob, imap, smtp_server, celery_worker,
                                                           short_delay, signed_in_client):
    sent = _sent(compose, bob, short_delay)
    page = signed_in_client.get(f"/mail/{sent.sent_uid}/?folder={sent.sent_folder}").content.decode()
    assert "Me le rappeler s’il n’y a pas de réponse" in page or "Me le rappeler s'il n'y a pas de réponse" in page
    row = _set(signed_in_client, sent, "3")
    assert timedelta(days=2, hours=23) < row.due_at - timezone.now() <= timedelta(days=3)
    assert "Pas de réponse" not in signed_in_client.get("/mail/").content.decode()

    FollowUp.objects.filter(pk=row.pk).update(due_at=timezone.now())
    tasks.sweep.delay()  # what beat does every minute
    wait_for(lambda: FollowUp.objects.get(pk=row.pk).state == FollowUp.State.FIRED)
    inbox = signed_in_client.get("/mail/").content.decode()
    assert "Pas de réponse à « Proposition refonte du site »" in inbox
    assert f'action="/rappels/suivi/{row.pk}/relancer/"' in inbox and "Ignorer" in inbox

    response = signed_in_client.post(f"/rappels/suivi/{row.pk}/relancer/")
    assert response.status_code == 302
    follow_up = Composition.objects.get()
    assert follow_up.to == f'"Bob Martin" <{bob.email}>'
    assert follow_up.subject == "Re : Proposition refonte du site"
    assert follow_up.in_reply_to == sent.message_id
    assert "Pas de réponse" not in signed_in_client.get("/mail/").content.decode()
    # Once: the sweeper never fires it again.
    assert tasks.sweep() == {"follow_ups": 0, "snoozes": 0}


@pytest.mark.parametrize("header", ["In-Reply-To", "References"])
def test_a_reply_that_came_first_cancels_the_reminder(compose, bob, alice, imap, smtp_server, celery_worker,
                                                      short_delay, signed_in_client, header):
    sent = _sent(compose, bob, short_delay)
    row = _set(signed_in_client, sent)
    _reply(imap, signed_in_client.mail_user, bob, sent.message_id, references="<older@example.fr>", header=header)
    FollowUp.objects.filter(pk=row.pk).update(due_at=timezone.now())
    tasks.sweep.delay()
    wait_for(lambda: FollowUp.objects.get(pk=row.pk).state == FollowUp.State.ANSWERED)
    assert "Pas de réponse" not in signed_in_client.get("/mail/").content.decode()


def test_the_users_own_message_in_the_thread_is_not_a_reply(compose, bob, imap, smtp_server, celery_worker,
                                                            short_delay, signed_in_client):
    sent = _sent(compose, bob, short_delay)
    row = _set(signed_in_client, sent)
    me = signed_in_client.mail_user
    _reply(imap, me, me, sent.message_id)  # e.g. her own copy of a message she sent in the thread
    FollowUp.objects.filter(pk=row.pk).update(due_at=timezone.now())
    assert service.check_follow_up(row.pk) == FollowUp.State.FIRED


def test_a_reminder_against_a_reply_arriving_at_the_same_moment(compose, bob, imap, smtp_server, short_delay, celery_worker,
                                                                signed_in_client):
    """Each round: the check (twice, as two workers would) and a reply delivered at the same moment.
    The reminder is decided once, and a reply delivered before the check began always cancels it."""
    sent = _sent(compose, bob, short_delay)
    me = signed_in_client.mail_user
    user, raw, outcomes = _user(signed_in_client), _raw_sent(imap, me, sent), []
    for i in range(25):
        row = service.follow_up(user, raw, timezone.now())
        times, results = {}, []

        def reply(row=row, times=times):
            _reply(imap, me, bob, row.message_id)
            times["reply_done"] = time.monotonic()

        def check(row=row, times=times, results=results):
            times.setdefault("check_start", time.monotonic())
            results.append(service.check_follow_up(row.pk))

        threads = [threading.Thread(target=reply), threading.Thread(target=check), threading.Thread(target=check)]
        for thread in threads[i % 2:] + threads[:i % 2]:
            thread.start()
        for thread in threads:
            thread.join()
        decided = [r for r in results if r != "skipped"]
        assert len(decided) == 1, results
        state = FollowUp.objects.get(pk=row.pk).state
        assert state in (FollowUp.State.FIRED, FollowUp.State.ANSWERED) and decided[0] == state
        if times["reply_done"] < times["check_start"]:
            assert state == FollowUp.State.ANSWERED, "a reply that came first cancels the reminder"
        outcomes.append(state)
        FollowUp.objects.filter(pk=row.pk).delete()
        with imap(me) as mailbox:  # the next round starts without the reply
            replies = mailbox.search("INBOX", ["NOT", "FROM", me.email])
            if replies:
                mailbox.delete_permanently("INBOX", replies)
    assert FollowUp.State.ANSWERED in outcomes


def _user(client):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=client.mail_user.email.lower())


def _raw_sent(imap, user, sent):
    with imap(user) as mailbox:
        return mailbox.fetch_raw(sent.sent_folder, sent.sent_uid)


def test_bad_input_and_get_are_refused(signed_in_client, compose, bob, smtp_server, celery_worker, short_delay):
    sent = _sent(compose, bob, short_delay)
    assert signed_in_client.get("/rappels/suivi/").status_code == 405
    assert signed_in_client.get("/rappels/suivi/1/relancer/").status_code == 405
    base = {"folder": sent.sent_folder, "uid": sent.sent_uid}
    assert signed_in_client.post("/rappels/suivi/", {**base, "uid": "x", "days": "1"}).status_code == 400
    response = signed_in_client.post("/rappels/suivi/", {**base, "days": "3", "at": "demain"})
    assert response.status_code == 400 and "Saisissez une date et une heure." in response.content.decode()
    assert signed_in_client.post("/rappels/suivi/", {**base, "at": "2020-01-01T08:00"}).status_code == 400
    assert signed_in_client.post("/rappels/suivi/", {**base, "uid": "99999", "days": "1"}).status_code == 404
    assert signed_in_client.post("/rappels/suivi/424242/relancer/").status_code == 404
    assert not FollowUp.objects.exists()


def test_a_date_typed_wins_over_the_preset(signed_in_client, compose, bob, smtp_server, celery_worker, short_delay):
    sent = _sent(compose, bob, short_delay)
    from datetime import datetime
    from zoneinfo import ZoneInfo

    day = (timezone.now() + timedelta(days=30)).astimezone(ZoneInfo("Europe/Paris")).date()
    response = signed_in_client.post("/rappels/suivi/", {"folder": sent.sent_folder, "uid": sent.sent_uid,
                                                        "days": "3", "at": f"{day.isoformat()}T09:30"})
    assert response.status_code == 302
    expected = datetime(day.year, day.month, day.day, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert FollowUp.objects.get().due_at == expected, "09:30 in the user's zone"


def test_at_send_time_from_the_sent_toast(compose, bob, smtp_server, celery_worker, short_delay, signed_in_client,
                                          make_mail_user):
    direction = make_mail_user("direction")
    short_delay(0.5)
    compose(bob.email, subject="Contrat à signer", body=PROPOSAL, bcc=direction.email)
    sent = OutboxMessage.objects.get()
    wait_for(lambda: OutboxMessage.objects.get(pk=sent.pk).state == "sent")
    toasts = signed_in_client.get("/envoi/toasts/").content.decode()
    assert "Me le rappeler dans 3 jours sans réponse" in toasts
    response = signed_in_client.post(f"/rappels/suivi/envoi/{sent.pk}/", {"days": "3"},
                                     HTTP_REFERER="http://testserver/mail/?folder=Sent")
    assert response.status_code == 302 and response["Location"] == "http://testserver/mail/?folder=Sent"
    signed_in_client.post(f"/rappels/suivi/envoi/{sent.pk}/", {"days": "3"},
                          HTTP_REFERER="https://evil.example/")  # a double click; never off-site
    row = FollowUp.objects.get()  # one reminder, not two
    assert sorted(row.recipients) == sorted([bob.email, direction.email]), "Bcc known from the envelope"
    assert timedelta(days=2, hours=23) < row.due_at - timezone.now() <= timedelta(days=3)
    assert signed_in_client.get(f"/rappels/suivi/envoi/{sent.pk}/").status_code == 405
    assert signed_in_client.post("/rappels/suivi/envoi/999999/", {"days": "3"}).status_code == 404
