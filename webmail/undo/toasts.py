"""The undo toast of the latest action on mail, shown in the outbox's toast region."""

from __future__ import annotations

import time
from dataclasses import dataclass

from webmail.undo import service
from webmail.undo.models import MailAction

# Session key: when this browser last acted on mail. Only a hint that saves the query on the
# pages that follow no action; the row is the truth.
HINT = "mail_undo_at"


def note_action(request) -> None:
    request.session[HINT] = time.time()


@dataclass(frozen=True)
class MailUndoToast:
    action: MailAction
    sentence: str
    remaining_ms: int


def mail_undo_toast(request) -> MailUndoToast | None:
    hint = request.session.get(HINT)
    if not isinstance(hint, (int, float)) or time.time() - hint > service.TOAST_SECONDS:
        return None
    action = service.latest(request.user)
    if action is None:
        return None
    from django.utils import timezone

    left = service.TOAST_SECONDS - (timezone.now() - action.created_at).total_seconds()
    return MailUndoToast(action, service.toast_sentence(action), max(0, int(left * 1000)))
