"""What each undo toast says, computed from the outbox rows (the state lives on the server)."""

import hashlib
from dataclasses import dataclass

from django.utils import timezone

from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State


@dataclass(frozen=True)
class Toast:
    message: OutboxMessage
    kind: str  # pending, retrying, sending, sent, failed, uncertain
    remaining_ms: int

    @property
    def remaining_seconds(self) -> int:
        return -(-self.remaining_ms // 1000)

    @property
    def can_undo(self) -> bool:
        return self.kind in ("pending", "retrying")


def _kind(message: OutboxMessage) -> str:
    if message.state == State.PENDING:
        return "retrying" if message.attempts else "pending"
    return str(message.state)


def toast_context(user) -> dict:
    now = timezone.now()
    toasts = [
        Toast(m, _kind(m), max(0, int((m.deadline - now).total_seconds() * 1000)))
        for m in service.visible_for(user)
    ]
    fingerprint = "|".join(f"{t.message.pk}:{t.kind}:{t.message.attempts}" for t in toasts)
    return {
        "toasts": toasts,
        "version": hashlib.sha256(fingerprint.encode()).hexdigest()[:16],
        # Poll only while something can still change by itself.
        "polling": any(t.kind in ("pending", "retrying", "sending", "sent") for t in toasts),
    }
