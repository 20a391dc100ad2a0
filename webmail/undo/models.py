from django.conf import settings
from django.db import models


class MailAction(models.Model):
    """An action on mail that Annuler can still put back.

    `steps` says what changed, in the server's terms, so undoing never guesses:
    `{"move": {"from": f, "to": t, "uidvalidity": v, "uids": {"<uid in t>": "<Message-ID>"}}}` or
    `{"flag": {"folder": f, "flag": "\\\\Seen", "on": true, "uidvalidity": v, "uids": [uids it changed]}}`.
    OPEN ──Annuler──▶ UNDONE is one conditional UPDATE, so a double click or `z` undoes it once.
    """

    class State(models.TextChoices):
        OPEN = "open"
        UNDONE = "undone"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_actions")
    action = models.CharField(max_length=10)  # archive, delete, move, read, unread, star, unstar
    count = models.PositiveIntegerField()
    steps = models.JSONField()
    state = models.CharField(max_length=6, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "state"])]

    def __str__(self) -> str:
        return f"{self.action} ×{self.count} ({self.state})"
