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


def toast_context(user) -> dict:
    now = timezone.now()
    visible = service.visible_for(user)
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
