"""The operator's commands: `manage.py outbox_status` and `manage.py outbox_redispatch`."""

import io
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from tests.helpers import OutboxBeat
from tests.outbox.conftest import flush_broker, state_of, wait_for
from webmail.celery import app
from webmail.compose.models import Composition
from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State


def _run(command: str, *args) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def _row(user, state: str, deadline_in: float, **fields) -> OutboxMessage:
    return OutboxMessage.objects.create(
        user=user, state=state, deadline=timezone.now() + timedelta(seconds=deadline_in),
        raw=b"Subject: Bilan trimestriel secret\n\nLe corps du message", message_id="<x@example.test>",
        envelope_from="carol@example.test", recipients=["dave@example.test"], subject="Bilan trimestriel secret",
        **fields,
    )


@pytest.mark.django_db
def test_outbox_status_shows_counts_oldest_pending_overdue_and_stuck(settings):
    settings.OUTBOX_GRACE_SECONDS = 5
    settings.OUTBOX_STALE_SECONDS = 300
    carol = get_user_model().objects.create_user("carol@example.test")
    overdue = _row(carol, State.PENDING, -600)  # ten minutes late: no worker took it
    _row(carol, State.PENDING, -2)  # within the grace period: not overdue yet
    _row(carol, State.PENDING, 8)  # in its undo window
    _row(carol, State.PENDING, 86400, scheduled=True)
    _row(carol, State.SENDING, -900, claimed_at=timezone.now() - timedelta(seconds=900))
    for state in (State.SENT, State.SENT, State.CANCELLED, State.FAILED):
        _row(carol, state, -60)

    output = _run("outbox_status")

    lines = output.splitlines()
    assert any(line.split()[:2] == ["pending", "4"] and "(1 scheduled)" in line for line in lines), output
    assert any(line.split() == ["sent", "2"] for line in lines)
    assert any(line.split() == ["cancelled", "1"] for line in lines)
    assert any(line.split() == ["failed", "1"] for line in lines)
    assert any(line.split() == ["uncertain", "0"] for line in lines)
    assert f"Oldest pending: #{overdue.pk}" in output and "(10 min ago)" in output
    assert "Overdue (pending more than 5 s past the deadline): 1" in output
    assert f"  #{overdue.pk}  due " in output and "10 min late" in output and "carol@example.test" in output
    assert "Sending for more than 300 s (a worker died; the sweeper resolves them): 1" in output
    assert "outbox_redispatch" in output
    assert "Bilan" not in output and "dave@example.test" not in output, "no content or recipients"


@pytest.mark.django_db
def test_outbox_status_on_an_empty_outbox():
    output = _run("outbox_status")
    assert "Oldest pending: none" in output
    assert "): 0" in output and "outbox_redispatch" not in output


@pytest.mark.imap
@pytest.mark.smtp
@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_outbox_redispatch_sends_what_the_broker_lost_exactly_once(alice, bob, smtp_server, isolated_redis,
                                                                    short_delay):
    composition = Composition.objects.create(user=alice, to=bob.email, subject="perdu par Redis", body="texte")
    outbox = service.queue(composition, send_at=timezone.now() + timedelta(seconds=0.2))
    flush_broker(isolated_redis)  # Redis lost the task; no sweep has run since
    time.sleep(0.5)

    dispatched = OutboxMessage.objects.values_list("dispatched_at", flat=True).get(pk=outbox.pk)
    dry = _run("outbox_redispatch", "--dry-run")
    assert dry.strip() == f"Would re-dispatch 1 overdue message(s): #{outbox.pk}"
    assert OutboxMessage.objects.values_list("dispatched_at", flat=True).get(pk=outbox.pk) == dispatched, (
        "a dry run hands nothing over"
    )

    assert _run("outbox_redispatch").strip() == f"Re-dispatched 1 overdue message(s): #{outbox.pk}"
    assert _run("outbox_redispatch").strip() == f"Re-dispatched 1 overdue message(s): #{outbox.pk}"  # twice by mistake
    beat = OutboxBeat()  # production's safety net, should this in-process worker miss a task
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False):
        beat.start()
        try:
            wait_for(lambda: state_of(outbox) == State.SENT, timeout=30)
            time.sleep(0.5)  # let the duplicate task run too
        finally:
            beat.stopping.set()
            beat.join(timeout=10)
    assert len(smtp_server.messages_with_id(outbox.message_id)) == 1
    assert _run("outbox_redispatch").strip() == "No overdue messages."
