from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    """The outbox state machine (docs/outbox.md draws it).

    PENDING ──Annuler──▶ CANCELLED
    PENDING ──worker claims at/after deadline──▶ SENDING ──SMTP accepted──▶ SENT
    SENDING ──temporary failure──▶ PENDING (new deadline, backoff)
    SENDING ──permanent failure──▶ FAILED (back in Drafts)
    SENDING ──worker died mid-SMTP──▶ UNCERTAIN (back in Drafts, the user decides)
    Each arrow is one conditional UPDATE; whichever commits first wins.
    """

    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")
    UNCERTAIN = "uncertain", _("Uncertain")


class FailureKind(models.TextChoices):
    """Why a send failed or is being retried; the toast turns it into a sentence (toasts.py)."""

    REFUSED = "refused", _("Refused by the server")
    RECIPIENTS = "recipients", _("Recipients refused")
    SENDER = "sender", _("Sender address refused")
    AUTH = "auth", _("Sign-in refused")
    CONNECTION = "connection", _("Server unreachable")
    CREDENTIALS = "credentials", _("Stored password unreadable")
    INTERRUPTED = "interrupted", _("Interrupted")
    NO_ANSWER = "no_answer", _("No answer after the data")
    EXHAUSTED = "exhausted", _("Too many attempts")


class OutboxMessage(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="outbox")
    composition = models.ForeignKey(
        "compose.Composition", null=True, blank=True, on_delete=models.SET_NULL, related_name="sends"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    deadline = models.DateTimeField(db_index=True)
    # The exact bytes to send, fixed at Envoyer: later edits of the composition never change them.
    raw = models.BinaryField()
    message_id = models.CharField(max_length=255)
    envelope_from = models.EmailField()
    recipients = models.JSONField()
    subject = models.CharField(max_length=998, blank=True)
    # Scheduled for later ("Programmer l'envoi"): kept here, not as a Celery ETA task, until the
    # dispatcher hands it to the queue shortly before its time (dispatched_at).
    scheduled = models.BooleanField(default=False)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Why the last attempt failed: a kind, and the server's own words (never an exception's text).
    failure_kind = models.CharField(max_length=12, choices=FailureKind.choices, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    smtp_started_at = models.DateTimeField(null=True, blank=True)
    # Set just before the message's data goes out: from then on the server may have it, so a
    # failure is uncertain, never retried (see smtp.submit).
    smtp_data_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Follow-up after SMTP accepted the message; failures here never cause a second send.
    filed = models.BooleanField(default=False)
    sent_uid = models.PositiveIntegerField(null=True, blank=True)
    sent_folder = models.CharField(max_length=500, blank=True)
    dismissed = models.BooleanField(default=False)
    # Recipients the server refused while it accepted the message for the others (a SENT row):
    # {"address": "550 5.1.1 No such user here"}, the server's own words for each.
    refused = models.JSONField(default=dict, blank=True)
    # When a toast first showed this outcome (failed, uncertain, sent with refusals): it leaves the
    # toasts OUTBOX_OUTCOME_TOAST_SECONDS later, for the Boîte d'envoi (see service.visible_for).
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deadline"]
        indexes = [models.Index(fields=["user", "state"])]

    def __str__(self) -> str:
        return f"outbox #{self.pk} ({self.state})"
