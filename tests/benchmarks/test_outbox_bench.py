"""Undo-send latency, printed (not asserted): `make bench`.

- deadline → SMTP server accepted the message, p50/p95 over 100 sends, against a raw baseline:
  one smtplib transaction with the same message to the same server, measured in the same run;
- Annuler (HTTP POST) → confirmation, p50/p95 over 100 cancels;
- both again with 1,000 other messages pending at once (their ETA tasks held by the worker).
"""

import smtplib
import statistics
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from webmail.compose.models import Composition
from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State

pytestmark = [pytest.mark.django_db(transaction=True)]


def _pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _queue(user, to, subject, at):
    composition = Composition.objects.create(user=user, to=to, subject=subject, body="Bonjour, ceci est un test.")
    return service.queue(composition, send_at=at)


def _send_latencies(user, bob, smtp_server, n=100):
    start = timezone.now() + timedelta(seconds=1)
    rows = [_queue(user, bob.email, f"bench {i}", start + timedelta(milliseconds=30 * i)) for i in range(n)]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if OutboxMessage.objects.filter(pk__in=[r.pk for r in rows], state=State.SENT).count() == n:
            break
        time.sleep(0.1)
    latencies = []
    for row in rows:
        (delivery,) = smtp_server.messages_with_id(row.message_id)
        latencies.append(delivery.accepted_at - row.deadline.timestamp())
    return latencies


def _cancel_times(client, user, bob, n=100):
    times = []
    for i in range(n):
        row = _queue(user, bob.email, f"annuler {i}", timezone.now() + timedelta(seconds=60))
        started = time.perf_counter()
        response = client.post(f"/envoi/{row.pk}/annuler/")
        times.append(time.perf_counter() - started)
        assert response.status_code == 302
    return times


def _raw_smtp(user_email, password, bob, smtp_server, n=20):
    raw = OutboxMessage.objects.exclude(raw=b"").first().raw
    times = []
    for _ in range(n):
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", smtp_server.port) as connection:
            connection.login(user_email, password)
            connection.sendmail(user_email, [bob.email], bytes(raw))
        times.append(time.perf_counter() - started)
    return times


def _report(label, values, baseline=None):
    p50, p95 = statistics.median(values), _pct(values, 0.95)
    ratio = f"  ({p50 / baseline:.1f}x the raw SMTP transaction)" if baseline else ""
    print(f"  {label:<44} p50 {p50 * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms{ratio}")


def test_undo_send_latency(signed_in_client, make_mail_user, smtp_server, celery_worker, settings):
    settings.OUTBOX_GRACE_SECONDS = 5
    user = get_user_model().objects.get(username=signed_in_client.mail_user.email.lower())
    bob = make_mail_user("bob")
    print("\nUndo send (real Celery worker, real SMTP server delivering into Dovecot)")
    sends = _send_latencies(user, bob, smtp_server)
    raw = _raw_smtp(signed_in_client.mail_user.email, signed_in_client.mail_user.password, bob, smtp_server)
    baseline = statistics.median(raw)
    _report("raw smtplib transaction (baseline)", raw)
    _report("deadline → SMTP accepted, 100 sends", sends, baseline)
    _report("Annuler → confirmation, 100 cancels", _cancel_times(signed_in_client, user, bob))

    far = timezone.now() + timedelta(hours=1)
    for i in range(1000):
        _queue(user, bob.email, f"en attente {i}", far)
    print("  with 1,000 other messages pending:")
    _report("deadline → SMTP accepted, 100 sends", _send_latencies(user, bob, smtp_server), baseline)
    _report("Annuler → confirmation, 100 cancels", _cancel_times(signed_in_client, user, bob))
