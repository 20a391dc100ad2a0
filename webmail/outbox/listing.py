"""What the Boîte d'envoi and Programmés show, computed from the rows (the state the server knows).

Both pages refresh their list while something is in flight: the list polls its own URL with the
version it shows, and the view answers 204 while nothing changed, so the page (an open menu, the
focus on Annuler) is left alone until a message really leaves, is sent or fails.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from webmail.core.health import worker_alive
from webmail.outbox import schedule, service
from webmail.outbox.models import OutboxMessage, State
from webmail.outbox.toasts import Toast, honest_kind, kind_of, remaining_ms

# Programmés looks often while a message is about to leave or leaving, rarely otherwise (a message
# due in three days still turns into "leaving now" on a page left open).
SOON = timedelta(minutes=2)


def _version(parts: list[str]) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def outbox(user, now: datetime) -> dict:
    """The Boîte d'envoi: messages in their cancel window, retrying, leaving now or late (saying why,
    as the toast does); below them, recent sends that failed, may have failed, or were refused for
    some recipients, with the reason and what to do (they leave the toasts after a while)."""
    alive = cache(worker_alive)
    rows = [Toast(m, honest_kind(m, kind_of(m, now), now, alive), remaining_ms(m, now)) for m in service.in_flight(user)]
    outcomes = [Toast(m, kind_of(m, now), 0) for m in service.recent_outcomes(user)]
    # What the page shows changes with the kind and, above a minute, with the minutes left; the
    # seconds below a minute are counted down by the browser from data-remaining-ms.
    version = _version([f"{r.message.pk}:{r.kind}:{r.message.attempts}:{_minutes(r.remaining_ms)}" for r in rows]
                       + [f"done:{o.message.pk}" for o in outcomes])
    return {"rows": rows, "outcomes": outcomes, "version": version, "poll_every": "2s" if rows else ""}


def _minutes(ms: int) -> str:
    return "now" if ms == 0 else str(ms // 60_000) if ms >= 60_000 else "s"


@dataclass(frozen=True)
class ScheduledItem:
    message: OutboxMessage
    when: str  # "lundi 1 déc. 08:00, heure de Paris"
    presets: list[schedule.Preset]
    # Its time has come (or Envoyer maintenant was clicked): leaving now, so no more Envoyer
    # maintenant, Modifier, Annuler or Reprogrammer.
    leaving: bool


def scheduled(user, hours: schedule.OfficeHours, now: datetime) -> dict:
    """Programmés: scheduled messages not yet sent, soonest first."""
    messages = service.scheduled_for(user)
    presets = schedule.presets(now, hours) if messages else []
    items = [
        ScheduledItem(m, schedule.describe(m.deadline, hours, now), presets,
                      leaving=m.state == State.SENDING or m.deadline <= now)
        for m in messages
    ]
    soon = any(i.leaving or i.message.deadline <= now + SOON for i in items)
    poll_every = "2s" if soon else "60s" if items else ""
    version = _version([poll_every] + [f"{i.message.pk}:{i.message.deadline.timestamp()}:{i.leaving}" for i in items])
    return {"items": items, "version": version, "poll_every": poll_every}
