"""The outbox: every message waits here for its deadline, then leaves exactly once.

The database decides, never Celery. Each transition is one conditional UPDATE on the row
(see `State`): Annuler is PENDING→CANCELLED, the worker's claim is PENDING→SENDING with
`deadline <= now`. Whichever commits first wins; the loser sees 0 rows updated and stops. So a
task delivered early, twice, or to several workers sends nothing extra, and a revoked task is
only a courtesy to the worker.

Once the message's data has gone out to the SMTP server, only the server's answer says whether it
took the message. No answer (a timeout, a reset, a worker that died waiting) cannot be resolved by
looking: such a row becomes UNCERTAIN, the message goes back to Drafts and the user is told to
check before sending it again. We never resend silently (a duplicate) nor drop silently (a loss).
A failure before the data (`smtp_data_at` unset), or a 4xx answer to it, is safe to retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from webmail.accounts.mail import open_mailbox
from webmail.accounts.models import MailAccount
from webmail.compose import building
from webmail.compose.models import Composition
from webmail.compose.service import discard_draft_copy, drafts_folder, save_draft, sent_folder
from webmail.core.crypto import CredentialsUnreadable
from webmail.core.health import worker_alive
from webmail.imap.gateway import MailServerError
from webmail.outbox import smtp
from webmail.outbox.models import FailureKind, OutboxMessage, State
from webmail.preferences.models import Preferences

log = logging.getLogger("webmail.outbox")


def _event(event: str, message: OutboxMessage | int, **fields) -> None:
    """One log line per state change: ids and states only, never content or credentials."""
    pk = message if isinstance(message, int) else message.pk
    log.info("outbox %s", event, extra={"event": f"outbox.{event}", "outbox_id": pk, **fields})


class AlreadyInOutbox(Exception):
    """This composition is already waiting to be sent or leaving."""


def undo_delay(user) -> float:
    if settings.OUTBOX_DELAY_OVERRIDE is not None:
        return float(settings.OUTBOX_DELAY_OVERRIDE)
    return float(Preferences.for_user(user).undo_delay)


def queue(composition: Composition, *, send_at: datetime | None = None, scheduled: bool = False) -> OutboxMessage:
    """Envoyer (or Programmer l'envoi): fix the bytes, store them with their deadline.

    A message due soon is handed to Celery after commit with an ETA; one scheduled further ahead
    stays in the database until the dispatcher (`sweep`) hands it over shortly before its time,
    because Redis redelivers ETA tasks older than its visibility timeout and workers hold every
    ETA task in memory.
    """
    account = composition.user.mail_account
    message_id = building.new_message_id(account.email)
    message = building.build(composition, building.from_header(composition), message_id)
    deadline = send_at or timezone.now() + timedelta(seconds=undo_delay(composition.user))
    with transaction.atomic():
        # Serialise sends of one composition (a double click on Envoyer): the row lock on
        # PostgreSQL, the write lock taken at BEGIN IMMEDIATE on SQLite.
        Composition.objects.select_for_update().filter(pk=composition.pk).exists()
        if composition.in_outbox():
            raise AlreadyInOutbox(composition.pk)
        outbox = OutboxMessage.objects.create(
            user=composition.user, composition=composition, deadline=deadline,
            raw=building.as_bytes(message), message_id=message_id, envelope_from=building.envelope_sender(composition),
            recipients=building.envelope_recipients(composition), subject=composition.subject,
            scheduled=scheduled,
        )
        # A time remembered by Modifier is used up: scheduled again (for it or another) or sent now.
        Composition.objects.filter(pk=composition.pk).update(scheduled_for=None)
        composition.scheduled_for = None
        _outbox_changed(composition.user)
        if _due_soon(deadline):
            transaction.on_commit(lambda: _dispatch(outbox.pk, deadline))
    _event("scheduled" if scheduled else "queued", outbox, deadline=deadline.isoformat())
    return outbox


def _outbox_changed(user) -> None:
    """Pages that found nothing to show in the outbox look again (see toasts.toast_context).
    Called in the transaction that makes the change, so no page sees one without the other."""
    MailAccount.objects.filter(user=user).update(outbox_version=F("outbox_version") + 1)


def _due_soon(deadline: datetime) -> bool:
    return deadline <= timezone.now() + timedelta(seconds=settings.OUTBOX_DISPATCH_AHEAD_SECONDS)


def _dispatch(pk: int, deadline: datetime) -> None:
    """Hand a row to Celery once: only the caller that sets dispatched_at enqueues it."""
    if OutboxMessage.objects.filter(pk=pk, state=State.PENDING, dispatched_at__isnull=True).update(
        dispatched_at=timezone.now()
    ):
        enqueue(pk, deadline)


def enqueue(pk: int, eta: datetime) -> None:
    """Hand the row to Celery. If the broker is down the sweeper sends it later: never lost."""
    from webmail.outbox.tasks import deliver

    try:
        result = deliver.apply_async((pk,), eta=eta)
    except Exception:  # any broker failure; the row is safe in the database
        log.warning("outbox enqueue failed", extra={"event": "outbox.enqueue_failed", "outbox_id": pk})
        return
    OutboxMessage.objects.filter(pk=pk).update(task_id=result.id)


@dataclass(frozen=True)
class CancelOutcome:
    cancelled: bool
    message: OutboxMessage


def cancel(user, pk: int, *, keep_time: bool = False) -> CancelOutcome:
    """Annuler. Wins only if the worker has not claimed the row yet.

    Within the undo window speed matters: the state changes first, the draft is saved after.
    A scheduled message is saved back to Drafts *before* it leaves Programmés (an IMAP failure
    raises and leaves it scheduled), so it is never missing from both.

    `keep_time` (Modifier in Programmés): the composition remembers the time it was scheduled
    for, in the same transaction as the claim, so the compose page can offer it again.
    """
    message = OutboxMessage.objects.select_related("composition").get(pk=pk, user=user)
    if message.scheduled and message.state == State.PENDING and message.composition is not None:
        save_draft(message.composition)
    return _after_cancel(message, _claim_cancel(message, keep_time=keep_time))


def _claim_cancel(message: OutboxMessage, *, keep_time: bool = False) -> bool:
    """The one transition Annuler makes, PENDING→CANCELLED; True when it won over the worker."""
    with transaction.atomic():
        won = OutboxMessage.objects.filter(pk=message.pk, user=message.user_id, state=State.PENDING).update(
            state=State.CANCELLED
        )
        if won and keep_time and message.composition_id is not None:
            # Read after the claim: a cancelled row's deadline can no longer be moved.
            deadline = OutboxMessage.objects.values_list("deadline", flat=True).get(pk=message.pk)
            Composition.objects.filter(pk=message.composition_id).update(scheduled_for=deadline)
    return bool(won)


def _after_cancel(message: OutboxMessage, won: bool) -> CancelOutcome:
    """What follows the claim: the draft back in Drafts when it won, no stale draft when it lost."""
    message.refresh_from_db()
    if not won:
        if message.scheduled and message.composition is not None and message.state != State.CANCELLED:
            discard_draft_copy(message.composition)  # it left meanwhile: no stale draft
        return CancelOutcome(False, message)
    _event("cancelled", message)
    _revoke(message.task_id)
    if not message.scheduled:
        _restore_draft(message)
    return CancelOutcome(True, message)


@dataclass
class StopReport:
    """What "Tout arrêter" did. `gone`: what had left or was leaving (the worker's claim won, or
    it went out in the last minutes), reported as such, never as stopped."""

    stopped: list[OutboxMessage]
    gone: list[OutboxMessage]
    scheduled: list[OutboxMessage]  # still scheduled: the confirmation lists them
    unscheduled: list[OutboxMessage]  # scheduled ones put back in Drafts
    not_unscheduled: list[OutboxMessage]  # the mail server could not take the draft: still scheduled


# How far back "Tout arrêter" lists what already left, so the user sees what got through.
RECENTLY_LEFT = timedelta(minutes=10)


def stop_sending(user) -> StopReport:
    """Tout arrêter, first step: every message in its undo window (or waiting to retry) cancelled
    by Annuler's own transition. All the claims go first, the drafts after: the windows are
    seconds long. Scheduled messages are only listed; `stop_scheduled` cancels them once confirmed."""
    window = list(
        OutboxMessage.objects.filter(user=user, scheduled=False, state=State.PENDING)
        .select_related("composition").order_by("deadline")
    )
    claims = [(message, _claim_cancel(message)) for message in window]
    outcomes = [_after_cancel(message, won) for message, won in claims]
    stopped = [o.message for o in outcomes if o.cancelled]
    lost = {o.message.pk for o in outcomes if not o.cancelled}
    if stopped:
        _event("stop_everything", stopped[0], stopped=len(stopped), lost=len(lost))
    return StopReport(stopped, _recently_left(user, lost), scheduled_for(user), [], [])


def stop_scheduled(user, pks: list[int], stopped: list[int] = ()) -> StopReport:
    """Tout arrêter, after the confirmation: the scheduled messages it listed (`pks`), each through
    `cancel` (saved in Drafts first, then PENDING→CANCELLED). One the mail server cannot take back
    stays scheduled and is reported; one that left meanwhile is reported as gone. `stopped`: what the
    first step stopped, for the summary."""
    unscheduled, not_unscheduled, lost = [], [], set()
    for pk in OutboxMessage.objects.filter(user=user, pk__in=pks, scheduled=True, state=State.PENDING).order_by(
        "deadline"
    ).values_list("pk", flat=True):
        try:
            outcome = cancel(user, pk)
        except (MailServerError, CredentialsUnreadable):
            not_unscheduled.append(OutboxMessage.objects.defer("raw").get(pk=pk))
            continue
        if outcome.cancelled:
            unscheduled.append(outcome.message)
        else:
            lost.add(pk)
    earlier = list(OutboxMessage.objects.filter(user=user, pk__in=stopped, state=State.CANCELLED).defer("raw"))
    return StopReport(earlier, _recently_left(user, lost), scheduled_for(user), unscheduled, not_unscheduled)


def _recently_left(user, also: set[int]) -> list[OutboxMessage]:
    since = timezone.now() - RECENTLY_LEFT
    left = Q(state=State.SENDING) | Q(state=State.SENT, sent_at__gte=since) | Q(pk__in=also)
    return list(
        OutboxMessage.objects.filter(left, user=user).exclude(state=State.CANCELLED).defer("raw")
        .order_by(F("sent_at").desc(nulls_first=True), "-pk")
    )


def send_now(user, pk: int) -> bool:
    """'Envoyer maintenant' from Programmés."""
    now = timezone.now()
    with transaction.atomic():
        moved = OutboxMessage.objects.filter(pk=pk, user=user, state=State.PENDING).update(
            deadline=now, dispatched_at=now
        )
        if moved:
            _outbox_changed(user)
    if moved:
        _event("send_now", pk)
        enqueue(pk, now)
    return bool(moved)


def reschedule(user, pk: int, at: datetime) -> bool:
    """A new time for a scheduled message; an already-queued task for the old time finds the new
    deadline in the future at its claim and steps aside."""
    message = OutboxMessage.objects.filter(pk=pk, user=user, state=State.PENDING, scheduled=True).first()
    if message is None:
        return False
    with transaction.atomic():
        moved = OutboxMessage.objects.filter(pk=pk, state=State.PENDING).update(deadline=at, dispatched_at=None)
        if moved:
            _outbox_changed(user)
    if moved:
        _revoke(message.task_id)
        _event("rescheduled", pk, deadline=at.isoformat())
        if _due_soon(at):
            _dispatch(pk, at)
    return bool(moved)


def scheduled_for(user) -> list[OutboxMessage]:
    """Programmés: scheduled messages not yet sent, soonest first."""
    return list(
        OutboxMessage.objects.filter(user=user, scheduled=True, state__in=[State.PENDING, State.SENDING])
        .defer("raw").order_by("deadline")
    )


def _revoke(task_id: str) -> None:
    if not task_id:
        return
    from webmail.celery import app

    try:
        app.control.revoke(task_id)
    except Exception:  # a courtesy only: the row's state already stops the send
        log.info("outbox revoke failed", extra={"event": "outbox.revoke_failed"})


def _restore_draft(message: OutboxMessage) -> None:
    """Put the composition back in Drafts. The row stays in the database even if IMAP fails."""
    if message.composition is None:
        return
    try:
        save_draft(message.composition)
    except (MailServerError, CredentialsUnreadable):
        log.warning("outbox draft restore failed", extra={"event": "outbox.restore_failed", "outbox_id": message.pk})


def _claim(pk: int) -> bool:
    now = timezone.now()
    return bool(
        OutboxMessage.objects.filter(pk=pk, state=State.PENDING, deadline__lte=now).update(
            state=State.SENDING, claimed_at=now, smtp_started_at=None, smtp_data_at=None,
            attempts=F("attempts") + 1
        )
    )


def deliver(pk: int) -> str:
    """The worker's job for one row. Returns what happened (for logs and tests)."""
    if not _claim(pk):
        message = OutboxMessage.objects.filter(pk=pk).only("state", "deadline").first()
        if message is not None and message.state == State.PENDING and message.deadline > timezone.now():
            # Delivered early: come back at the deadline, or let the dispatcher do it when far off.
            if _due_soon(message.deadline):
                enqueue(pk, message.deadline)
            else:
                OutboxMessage.objects.filter(pk=pk, state=State.PENDING).update(dispatched_at=None)
            return "early"
        return "skipped"
    message = OutboxMessage.objects.select_related("user__mail_account", "composition").get(pk=pk)
    _event("claimed", message, attempt=message.attempts)
    account = message.user.mail_account
    try:
        password = account.password()
    except CredentialsUnreadable:
        _fail(message, FailureKind.CREDENTIALS)
        return "failed"
    OutboxMessage.objects.filter(pk=pk).update(smtp_started_at=timezone.now())
    submission = smtp.Submission(message.envelope_from, list(message.recipients), bytes(message.raw))

    def data_starting() -> None:
        # Fenced by this claim's attempt number: if the sweeper took the row back (a worker thought
        # dead) and another worker claimed it since, this one must not send the data too.
        if not OutboxMessage.objects.filter(pk=pk, state=State.SENDING, attempts=message.attempts).update(
            smtp_data_at=timezone.now()
        ):
            raise smtp.ClaimLost(pk)

    try:
        refused = smtp.submit(account.email, password, submission, data_starting)
    except smtp.ClaimLost:
        _event("claim_lost", message, attempt=message.attempts)
        return "claim_lost"
    except smtp.SubmissionError as error:
        if error.kind == "uncertain":
            _fail(message, FailureKind.NO_ANSWER, state=State.UNCERTAIN, cause=error.cause)
            return "uncertain"
        if error.temporary and message.attempts < settings.OUTBOX_MAX_ATTEMPTS:
            _retry_later(message, error)
            return "retry"
        _fail(message, FailureKind.EXHAUSTED if error.temporary else error.kind, error.detail, cause=error.cause)
        return "failed"
    # Refused for some recipients, accepted for the others: it left, so it is SENT; who was refused
    # and the server's words for each are kept for the toast and the Boîte d'envoi.
    OutboxMessage.objects.filter(pk=pk, state__in=[State.SENDING, State.UNCERTAIN]).update(
        state=State.SENT, sent_at=timezone.now(), failure_kind="", last_error="", refused=refused
    )
    _event("sent", message, refused=len(refused))
    file_sent_copy(pk)
    return "sent"


def _retry_later(message: OutboxMessage, error: smtp.SubmissionError) -> None:
    delay = min(settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (message.attempts - 1), settings.OUTBOX_RETRY_MAX_SECONDS)
    deadline = timezone.now() + timedelta(seconds=delay)
    # Fenced by the attempt, as the data start is: a worker that was only slow must not move a row
    # that another worker has claimed since.
    updated = OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING, attempts=message.attempts).update(
        state=State.PENDING, deadline=deadline, smtp_started_at=None, failure_kind=error.kind,
        last_error=error.detail,
    )
    if updated:
        _event("retried", message, attempt=message.attempts, next=deadline.isoformat(), kind=error.kind,
               cause=error.cause)
        enqueue(message.pk, deadline)


def _fail(message: OutboxMessage, kind: str, detail: str = "", state: str = State.FAILED, cause: str = "") -> None:
    """Back to Drafts first, so the message is there by the time the toast says so.

    `kind` is a FailureKind, `detail` the server's own words (shown as they are, after the
    translated sentence), `cause` a network error's class, for the log only."""
    _restore_draft(message)
    updated = OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING, attempts=message.attempts).update(
        state=state, failure_kind=kind, last_error=detail
    )
    if updated:
        _event("failed" if state == State.FAILED else "uncertain", message, kind=str(kind), cause=cause)


def file_sent_copy(pk: int) -> bool:
    """After SMTP accepted: copy to Sent (seen), remove the draft, flag the answered message.

    Runs again from the sweeper until it succeeds; it never touches SMTP, and looks for the
    Message-ID in Sent first so a retry never files two copies.
    """
    message = OutboxMessage.objects.select_related("user__mail_account", "composition").get(pk=pk)
    if message.state != State.SENT or message.filed:
        return True
    composition = message.composition
    try:
        with open_mailbox(message.user.mail_account) as mailbox:
            folder = sent_folder(mailbox)
            existing = mailbox.search_header(folder, "Message-ID", message.message_id)
            uid = existing[0] if existing else mailbox.append(folder, _sent_copy(message), flags=("\\Seen",))
            if composition is not None and composition.draft_uid:
                mailbox.delete_permanently(drafts_folder(mailbox), [composition.draft_uid])
            if composition is not None and composition.reply_uid:
                mailbox.set_flag(composition.reply_folder, [composition.reply_uid], "\\Answered", True)
    except (MailServerError, CredentialsUnreadable):
        _event("filing_failed", message)
        return False
    OutboxMessage.objects.filter(pk=pk).update(filed=True, sent_uid=uid, sent_folder=folder)
    if composition is not None:
        composition.delete()
    _event("filed", message)
    return True


def _sent_copy(message: OutboxMessage) -> bytes:
    """The Sent copy shows Bcc recipients to their sender; the message that left did not."""
    from webmail.compose.addresses import parse_recipients

    raw = bytes(message.raw)
    if message.composition is None:
        return raw
    bcc = [r.email for r in parse_recipients(message.composition.bcc).valid]
    if not bcc:
        return raw
    return f"Bcc: {', '.join(bcc)}\r\n".encode() + raw


def sweep() -> dict[str, int]:
    """Beat's pass: dispatch what is due soon, send what is overdue, resolve what a dead worker
    left, finish filing. Safe to run from several beats at once: every step is a conditional update."""
    now = timezone.now()
    due = list(
        OutboxMessage.objects.filter(
            state=State.PENDING, dispatched_at__isnull=True,
            deadline__lte=now + timedelta(seconds=settings.OUTBOX_DISPATCH_AHEAD_SECONDS),
        ).values_list("pk", "deadline")[:1000]
    )
    for pk, deadline in due:
        _dispatch(pk, deadline)
    overdue = redispatch_overdue(now)
    stale = now - timedelta(seconds=settings.OUTBOX_STALE_SECONDS)
    # Died before the data went out: nothing can have left, so it is safe to try again (a worker
    # that was only slow finds its claim gone before sending the data: see deliver).
    requeued = OutboxMessage.objects.filter(
        state=State.SENDING, claimed_at__lt=stale, smtp_data_at__isnull=True
    ).update(state=State.PENDING, deadline=now)
    # After the data, a live worker may wait SMTP_FINAL_REPLY_TIMEOUT for the server's answer.
    waited_out = stale - timedelta(seconds=settings.SMTP_FINAL_REPLY_TIMEOUT)
    uncertain = 0
    for message in OutboxMessage.objects.filter(
        state=State.SENDING, claimed_at__lt=waited_out, smtp_data_at__isnull=False
    ).select_related("composition"):
        _fail(message, FailureKind.INTERRUPTED, state=State.UNCERTAIN)
        uncertain += 1
    unfiled = OutboxMessage.objects.filter(
        state=State.SENT, filed=False, sent_at__lt=now - timedelta(seconds=settings.OUTBOX_GRACE_SECONDS)
    ).values_list("pk", flat=True)[:100]
    filed = sum(file_sent_copy(pk) for pk in unfiled)
    return {"dispatched": len(due), "overdue": len(overdue), "requeued": requeued, "uncertain": uncertain,
            "filed": filed}


# Outcomes the user must learn about: a failure, an uncertain send, a send refused for some recipients.
OUTCOME = Q(state__in=[State.FAILED, State.UNCERTAIN]) | (Q(state=State.SENT) & ~Q(refused={}))


def visible_for(user) -> list[OutboxMessage]:
    """What the toasts show. First every message waiting or leaving, soonest first: its toast (with
    Annuler) must always show, whatever else there is. Then a message sent in the last seconds.
    Then outcomes (OUTCOME) the user has not closed, newest first, until OUTBOX_OUTCOME_TOAST_SECONDS
    after a toast first showed them (`seen_at`, see mark_seen): from then on only the Boîte d'envoi
    lists them, so old failures never pile up over the page (toasts.py folds all but the newest)."""
    now = timezone.now()
    rows = OutboxMessage.objects.filter(user=user).defer("raw")
    undo_window = Q(state=State.PENDING, scheduled=False)
    just_scheduled = Q(state=State.PENDING, scheduled=True, created_at__gte=now - timedelta(seconds=10))
    waiting = rows.filter(undo_window | just_scheduled | Q(state=State.SENDING)).order_by("deadline")[:50]
    just_sent = rows.filter(state=State.SENT, refused={}, dismissed=False,
                            sent_at__gte=now - timedelta(seconds=15)).order_by("sent_at")[:5]
    not_seen_long = Q(seen_at__isnull=True) | Q(seen_at__gte=now - timedelta(seconds=settings.OUTBOX_OUTCOME_TOAST_SECONDS))
    outcomes = (
        rows.filter(OUTCOME, not_seen_long, dismissed=False,
                    deadline__gte=now - timedelta(days=settings.OUTBOX_OUTCOMES_DAYS))
        .order_by(F("claimed_at").desc(nulls_last=True), "-pk")[:100]
    )
    return [*waiting, *just_sent, *outcomes]


def mark_seen(user, pks: list[int]) -> None:
    """A toast showed these outcomes: their time in the toasts counts from the first showing."""
    OutboxMessage.objects.filter(user=user, pk__in=pks, seen_at__isnull=True).update(seen_at=timezone.now())


def recent_outcomes(user) -> list[OutboxMessage]:
    """The Boîte d'envoi's "Envois récents à vérifier": failures, uncertain sends and sends refused for
    some recipients of the last OUTBOX_OUTCOMES_DAYS days, closed toasts included, newest first."""
    since = timezone.now() - timedelta(days=settings.OUTBOX_OUTCOMES_DAYS)
    return list(
        OutboxMessage.objects.filter(OUTCOME, user=user, deadline__gte=since)
        .defer("raw").select_related("composition")
        .order_by(F("claimed_at").desc(nulls_last=True), "-pk")[:50]
    )


def next_deadline(user) -> datetime | None:
    """When the soonest message still waiting in the outbox is due (None when none waits)."""
    pending = OutboxMessage.objects.filter(user=user, state__in=[State.PENDING, State.SENDING])
    return pending.aggregate(soonest=Min("deadline"))["soonest"]


def in_flight(user) -> list[OutboxMessage]:
    """The Boîte d'envoi: messages in their cancel window or leaving now, soonest first."""
    return list(
        OutboxMessage.objects.filter(user=user, state__in=[State.PENDING, State.SENDING], scheduled=False)
        .defer("raw").order_by("deadline")
    )


def recent_recipients(user, messages: int = 500) -> list[str]:
    """Addresses of the user's last sent messages, newest first (suggestions, known domains)."""
    rows = OutboxMessage.objects.filter(user=user, state=State.SENT).order_by("-sent_at")
    return [address for recipients in rows.values_list("recipients", flat=True)[:messages] for address in recipients]


def dismiss(user, *pks: int) -> None:
    """× on a toast (or on the folded one, for all it counts): the outcome stays in the Boîte d'envoi."""
    OutboxMessage.objects.filter(user=user, pk__in=pks).exclude(state__in=[State.PENDING, State.SENDING]).update(
        dismissed=True
    )


class NothingToResend(Exception):
    """Not a message of this user that left with some recipients refused."""


def resend_to_refused(user, pk: int) -> Composition:
    """"Renvoyer aux destinataires refusés": a new composition, a copy of the message that left
    (subject, text, attachments, reply headers, from its exact bytes) addressed only to the
    recipients the server refused, each in the field it was in (To, Cc, or else Bcc), so the user
    can correct an address and send. The toast of that send is closed: the user has acted on it."""
    from webmail.compose.service import start_copy

    message = OutboxMessage.objects.filter(user=user, pk=pk, state=State.SENT).exclude(refused={}).first()
    if message is None:
        raise NothingToResend(pk)
    composition = start_copy(user, bytes(message.raw), only=list(message.refused))
    OutboxMessage.objects.filter(pk=pk).update(dismissed=True)
    _event("resend_started", message, recipients=len(message.refused))
    return composition


def overdue_messages(now: datetime | None = None):
    """PENDING rows whose deadline passed more than OUTBOX_GRACE_SECONDS ago."""
    now = now or timezone.now()
    return OutboxMessage.objects.filter(
        state=State.PENDING, deadline__lte=now - timedelta(seconds=settings.OUTBOX_GRACE_SECONDS)
    )


def redispatch_overdue(now: datetime | None = None, *, every: float | None = None) -> list[int]:
    """Overdue: its task was lost (broker flushed, enqueue failed, a worker killed while holding it:
    with acks_late Redis gives such a task back only after its visibility timeout, an hour) or no
    worker ran. Hand it over again:
    - once, as soon as it is OUTBOX_GRACE_SECONDS late, while a worker shows its heartbeat: a live
      worker will take it at once;
    - then at most once per `every` seconds (OUTBOX_REDISPATCH_SECONDS), so a long outage or a
      backlog does not pile up tasks. Extra tasks are harmless anyway (the claim is a conditional
      UPDATE), only wasteful.

    The sweeper calls this on each pass; `manage.py outbox_redispatch` calls it by hand with every=0.
    Returns the candidates found (sweep's "overdue" count)."""
    now = now or timezone.now()
    recently = now - timedelta(seconds=settings.OUTBOX_REDISPATCH_SECONDS if every is None else every)
    not_recent = Q(dispatched_at__isnull=True) | Q(dispatched_at__lte=recently)
    if every is None and worker_alive():
        not_recent |= Q(dispatched_at__lt=F("deadline"))  # not handed over since its time came
    overdue = list(overdue_messages(now).filter(not_recent).values_list("pk", flat=True)[:500])
    for pk in overdue:
        if OutboxMessage.objects.filter(pk=pk, state=State.PENDING).filter(not_recent).update(dispatched_at=now):
            enqueue(pk, now)
    return overdue
