import uuid

from django.conf import settings
from django.db import models


class Composition(models.Model):
    """A message being written: the working copy behind the compose page.

    It outlives a send until the SMTP server accepts the message, so that Annuler, or a permanent
    failure, can reopen it with everything intact. Its copy in the IMAP Drafts folder is
    `draft_uid` (replaced on every save).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="compositions")
    to = models.TextField(blank=True)
    cc = models.TextField(blank=True)
    bcc = models.TextField(blank=True)
    subject = models.CharField(max_length=998, blank=True)
    # What the user wrote. For a rich message `body_html` is the sanitised HTML and `body` its
    # plain-text rendering (the checks read it); for a plain-text message `body_html` is empty.
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # Who it is from, and the signature under the text (none: "Aucune"). Both are kept apart from
    # the body so that the signature menu swaps it without touching what was typed.
    identity = models.ForeignKey("identities.Identity", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    signature = models.ForeignKey("identities.Signature", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    # The quoted original of a reply or the forwarded message, under the signature: as text
    # ("Le … a écrit :" and "> " lines) and, for a rich message, as sanitised HTML.
    quote = models.TextField(blank=True)
    quote_html = models.TextField(blank=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True)
    # The message answered, flagged \Answered once this one has left.
    reply_folder = models.CharField(max_length=500, blank=True)
    reply_uid = models.PositiveIntegerField(null=True, blank=True)
    reply_all = models.BooleanField(default=False)
    draft_uid = models.PositiveIntegerField(null=True, blank=True)
    # The time it was scheduled for, remembered when "Modifier" took it out of Programmés: the
    # compose page offers to schedule it again for that time. Not a schedule itself: nothing
    # leaves until the user schedules or sends it (outbox.queue clears it).
    scheduled_for = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.subject or str(self.id)

    def in_outbox(self) -> bool:
        """Waiting for its deadline or leaving now: it cannot be edited or sent again meanwhile."""
        from webmail.outbox.models import State  # the outbox app's models refer to this one

        return self.sends.filter(state__in=[State.PENDING, State.SENDING]).exists()

    @property
    def is_rich(self) -> bool:
        return bool(self.body_html)

    @property
    def attachments_size(self) -> int:
        return sum(a.size for a in self.attachments.all())


class Attachment(models.Model):
    composition = models.ForeignKey(Composition, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename
