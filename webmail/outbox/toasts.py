"""What each undo toast says, computed from the outbox rows (the state lives on the server)."""

import hashlib
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from webmail.core.health import worker_alive
from webmail.outbox import service
from webmail.outbox.models import FailureKind, OutboxMessage, State
from webmail.outbox.schedule import when_phrase
from webmail.preferences.models import Preferences


@dataclass(frozen=True)
class Toast:
    message: OutboxMessage
    # pending, scheduled, retrying, sending, slow, late, stopped, sent, partial, failed, uncertain
    kind: str
    remaining_ms: int
    when: str = ""  # for a scheduled message: "lundi 08:00"

    @property
    def remaining_seconds(self) -> int:
        return -(-self.remaining_ms // 1000)

    @property
    def can_undo(self) -> bool:
        # Late or not, a message still waiting can be cancelled: the worker's claim has not won yet.
        return self.message.state == State.PENDING

    @property
    def refusals(self) -> list[tuple[str, str]]:
        """For a message sent with some recipients refused: (address, the server's words)."""
        return sorted((self.message.refused or {}).items())

    @property
    def failure(self) -> str:
        return failure_sentence(self.message)


# Why a send failed, in the user's language; the server's own words follow as detail.
FAILURE_SENTENCES = {
    FailureKind.REFUSED: _("The outgoing mail server refused the message"),
    FailureKind.RECIPIENTS: _("The outgoing mail server refused the recipients"),
    FailureKind.SENDER: _("The outgoing mail server does not let you send from this address: choose another one in “From”"),
    FailureKind.AUTH: _("The outgoing mail server refused your email address or password"),
    FailureKind.CONNECTION: _("The outgoing mail server could not be reached"),
    FailureKind.CREDENTIALS: _("Your saved password could not be read: sign out and sign in again, then send it"),
    FailureKind.INTERRUPTED: _("Sending was interrupted"),
}


def failure_sentence(message: OutboxMessage) -> str:
    if message.failure_kind == FailureKind.EXHAUSTED:
        return ngettext(
            "The outgoing mail server did not accept the message after %(attempts)s attempt",
            "The outgoing mail server did not accept the message after %(attempts)s attempts",
            message.attempts,
        ) % {"attempts": message.attempts}
    return str(FAILURE_SENTENCES.get(message.failure_kind, _("Sending failed")))


def kind_of(message: OutboxMessage, now=None) -> str:
    if message.state == State.PENDING:
        if message.attempts:
            return "retrying"
        return "scheduled" if message.scheduled else "pending"
    if message.state == State.SENDING and _slow(message, now or timezone.now()):
        return "slow"
    if message.state == State.SENT and message.refused:
        return "partial"
    return str(message.state)


def _slow(message: OutboxMessage, now) -> bool:
    """The data went out longer ago than a command may take: the server is still deciding."""
    sent_data = message.smtp_data_at
    return sent_data is not None and (now - sent_data).total_seconds() > settings.MAIL_TIMEOUT


# A message this long past its time and not yet handed to the SMTP server is late: its toast stops
# saying "Envoi dans 0 s" and says why, as far as the server knows.
LATE_AFTER_SECONDS = 3


def honest_kind(message: OutboxMessage, kind: str, now, alive) -> str:
    """`kind`, or for a late message "late" while a worker shows its heartbeat (it is retrying after
    a temporary failure, or the SMTP server is slow to let it in) and "stopped" when none has lately
    (no worker runs, or Redis is down: it leaves when they are back). `alive()` asks the heartbeat."""
    if kind in ("pending", "retrying"):
        since = message.deadline
    elif kind == "sending" and message.smtp_data_at is None:
        since = message.claimed_at
    else:
        return kind
    if since is None or (now - since).total_seconds() <= LATE_AFTER_SECONDS:
        return kind
    return "late" if alive() else "stopped"


def remaining_ms(message: OutboxMessage, now) -> int:
    """Milliseconds until the deadline, 0 once it has passed (the client counts down from it)."""
    return max(0, int((message.deadline - now).total_seconds() * 1000))


# Session key: [outbox_version, due] saved when the outbox had nothing to show and nothing will
# until `due` (a scheduled message's time, or null for never).
QUIET = "outbox_quiet"


def toast_context(request) -> dict:
    """The toasts of the signed-in user, on every page.

    Most pages are shown while the outbox has nothing to say; remembering that in the session
    saves the outbox query (the costliest part of the page chrome). Anything that gives the outbox
    something to show bumps `MailAccount.outbox_version` in the same transaction, and that version
    is read with the user at the start of the request, before the query: a change that commits
    after the query leaves the session holding an old version, so the next page looks again.
    """
    user, now = request.user, timezone.now()
    version = _outbox_version(user)
    if version is not None and _still_quiet(request.session.get(QUIET), version, now):
        return _with_mail_undo(request, _context(user, [], now))
    visible = service.visible_for(user)
    if version is not None and not visible:
        due = service.next_deadline(user)
        quiet = [version, due.timestamp() if due else None]
        if request.session.get(QUIET) != quiet:
            request.session[QUIET] = quiet
    return _with_mail_undo(request, _context(user, visible, now))


def _with_mail_undo(request, context: dict) -> dict:
    """The toast of the latest action on mail ("2 messages archivés · Annuler"), in the same region.
    It goes last (so `z` undoes it) unless a message was queued after it."""
    from webmail.undo.toasts import mail_undo_toast

    toast = mail_undo_toast(request)
    if toast is None:
        return context
    newer_send = any(t.message.created_at > toast.action.created_at for t in context["toasts"] if t.can_undo)
    version = hashlib.sha256(f"{context['version']}|undo:{toast.action.pk}".encode()).hexdigest()[:16]
    return {**context, "mail_undo": toast, "mail_undo_first": newer_send, "version": version}


def _outbox_version(user) -> int | None:
    account = getattr(user, "mail_account", None)  # select_related by the auth backend
    return account.outbox_version if account is not None else None


def _still_quiet(saved, version: int, now) -> bool:
    if not isinstance(saved, list) or len(saved) != 2 or saved[0] != version:
        return False
    due = saved[1]
    return due is None or now.timestamp() < due


# Outcomes shown one toast each, the newest; older ones fold into one toast ("3 autres envois ont
# échoué · Voir") so that they never push the toast of a message being sent off the page.
OUTCOME_KINDS = ("partial", "failed", "uncertain")
OUTCOME_TOASTS = 2


def _context(user, visible: list[OutboxMessage], now) -> dict:
    hours = Preferences.for_user(user).office_hours() if any(m.scheduled for m in visible) else None
    alive = cache(worker_alive)  # asked once per page, and only when a message is late
    toasts = [
        Toast(m, honest_kind(m, kind_of(m, now), now, alive), remaining_ms(m, now),
              when_phrase(m.deadline, now, hours) if m.scheduled else "")
        for m in visible
    ]
    outcomes = [t for t in toasts if t.kind in OUTCOME_KINDS]  # newest first (service.visible_for)
    current = sorted((t for t in toasts if t.kind not in OUTCOME_KINDS), key=lambda t: t.kind != "sent")
    unseen = [t.message.pk for t in outcomes if t.message.seen_at is None]
    if unseen:
        service.mark_seen(user, unseen)
    folded = [t.message.pk for t in outcomes[OUTCOME_TOASTS:]]
    # Top to bottom: what is leaving now (never scrolled away when the region is full), then the
    # newest outcomes, then the folded older ones.
    toasts = [*current, *outcomes[:OUTCOME_TOASTS]]
    fingerprint = "|".join([f"{t.message.pk}:{t.kind}:{t.message.attempts}" for t in toasts] + [str(folded)])
    return {
        "toasts": toasts,
        "folded": folded,
        "version": hashlib.sha256(fingerprint.encode()).hexdigest()[:16],
        # Poll only while something can still change by itself.
        "polling": any(t.kind in ("pending", "scheduled", "retrying", "sending", "slow", "late", "stopped", "sent")
                       for t in toasts),
    }
