"""What each undo toast says, computed from the outbox rows (the state lives on the server)."""

import hashlib
from dataclasses import dataclass

from django.utils import timezone

from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State
from webmail.outbox.schedule import when_phrase
from webmail.preferences.models import Preferences


@dataclass(frozen=True)
class Toast:
    message: OutboxMessage
    kind: str  # pending, scheduled, retrying, sending, sent, failed, uncertain
    remaining_ms: int
    when: str = ""  # for a scheduled message: "lundi 08:00"

    @property
    def remaining_seconds(self) -> int:
        return -(-self.remaining_ms // 1000)

    @property
    def can_undo(self) -> bool:
        return self.kind in ("pending", "scheduled", "retrying")


def _kind(message: OutboxMessage) -> str:
    if message.state == State.PENDING:
        if message.attempts:
            return "retrying"
        return "scheduled" if message.scheduled else "pending"
    return str(message.state)


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
        return _context(user, [], now)
    visible = service.visible_for(user)
    if version is not None and not visible:
        due = service.next_deadline(user)
        quiet = [version, due.timestamp() if due else None]
        if request.session.get(QUIET) != quiet:
            request.session[QUIET] = quiet
    return _context(user, visible, now)


def _outbox_version(user) -> int | None:
    account = getattr(user, "mail_account", None)  # select_related by the auth backend
    return account.outbox_version if account is not None else None


def _still_quiet(saved, version: int, now) -> bool:
    if not isinstance(saved, list) or len(saved) != 2 or saved[0] != version:
        return False
    due = saved[1]
    return due is None or now.timestamp() < due


def _context(user, visible: list[OutboxMessage], now) -> dict:
    hours = Preferences.for_user(user).office_hours() if any(m.scheduled for m in visible) else None
    toasts = [
        Toast(m, _kind(m), max(0, int((m.deadline - now).total_seconds() * 1000)),
              when_phrase(m.deadline, now, hours) if m.scheduled else "")
        for m in visible
    ]
    fingerprint = "|".join(f"{t.message.pk}:{t.kind}:{t.message.attempts}" for t in toasts)
    return {
        "toasts": toasts,
        "version": hashlib.sha256(fingerprint.encode()).hexdigest()[:16],
        # Poll only while something can still change by itself.
        "polling": any(t.kind in ("pending", "scheduled", "retrying", "sending", "sent") for t in toasts),
    }
