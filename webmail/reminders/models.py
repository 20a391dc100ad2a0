from django.conf import settings
from django.db import models


class FollowUp(models.Model):
    """"Me le rappeler s'il n'y a pas de réponse": a sent message to look at again at `due_at`.

    WAITING ──due, claimed by one check──▶ CHECKING ──no reply──▶ FIRED ──Relancer / Ignorer──▶ DONE
                                              └──reply found──▶ ANSWERED
    Each arrow is one conditional UPDATE: a reminder is checked, and fires, once.
    """

    class State(models.TextChoices):
        WAITING = "waiting"
        CHECKING = "checking"
        FIRED = "fired"
        ANSWERED = "answered"
        DONE = "done"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follow_ups")
    message_id = models.CharField(max_length=998)
    # The thread it belongs to (its References), so a reply to any message of it counts.
    thread = models.JSONField(default=list)
    subject = models.CharField(max_length=998, blank=True)
    recipients = models.JSONField(default=list)
    sent_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.WAITING, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"follow-up #{self.pk} ({self.state})"


class Snooze(models.Model):
    """A received message put aside in the snooze folder until `wake_at`.

    The folder holds the message (so other IMAP clients see where it went), the row holds when it
    comes back and where it is: UID and UIDVALIDITY from the server's COPYUID, and its Message-ID
    in case the folder is renumbered.
    WAITING ──due, claimed──▶ WAKING ──moved back──▶ WOKEN
                                  └──no longer in the folder (moved or deleted meanwhile)──▶ FORGOTTEN
    """

    class State(models.TextChoices):
        WAITING = "waiting"
        WAKING = "waking"
        WOKEN = "woken"
        FORGOTTEN = "forgotten"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="snoozes")
    folder = models.CharField(max_length=500)  # where it came from and goes back to
    snooze_folder = models.CharField(max_length=500)
    uid = models.PositiveBigIntegerField()
    uidvalidity = models.PositiveBigIntegerField()
    message_id = models.CharField(max_length=998, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    wake_at = models.DateTimeField(db_index=True)
    state = models.CharField(max_length=9, choices=State.choices, default=State.WAITING, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"snooze #{self.pk} ({self.state})"
