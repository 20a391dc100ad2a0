from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Signature(models.Model):
    """A named signature. `html` is the rich version (sanitised when saved; images as data: URLs,
    sent as inline cid: parts); empty for a plain-text signature, which is `text` alone. `text` is
    always there: the plain-text part of a rich message, and what a plain-text message carries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signatures")
    name = models.CharField(_("Name"), max_length=100)
    text = models.TextField(_("Text"), blank=True, max_length=10000)
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_rich(self) -> bool:
        return bool(self.html)


class Identity(models.Model):
    """Someone the user writes as: a name and an address the mail server lets this account use."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identities")
    name = models.CharField(_("Your name"), max_length=200, blank=True)
    email = models.EmailField(_("Address"), max_length=254)
    reply_to = models.EmailField(_("Reply-To"), max_length=254, blank=True)
    is_default = models.BooleanField(_("Default identity"), default=False)
    # The common corporate rule: a full signature on first contact, a short one in replies.
    new_signature = models.ForeignKey(Signature, verbose_name=_("Signature for new messages"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="+")
    reply_signature = models.ForeignKey(Signature, verbose_name=_("Signature for replies and forwards"), null=True,
                                        blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "email", "pk"]
        constraints = [models.UniqueConstraint(fields=["user", "email"], name="one_identity_per_address")]
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class Template(models.Model):
    """A message kept for reuse (a modèle): its subject and body, rich or plain like a signature."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_templates")
    name = models.CharField(_("Name"), max_length=100)
    subject = models.CharField(_("Subject"), max_length=998, blank=True)
    text = models.TextField(_("Text"), blank=True, max_length=100000)
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class TemplateAttachment(models.Model):
    """A file kept with a template (when the user chose to keep them), copied into each message
    the template is inserted in."""

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.filename


class WritingPreferences(models.Model):
    """How the user likes to write: rich text or plain text, remembered from the compose switch."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="writing")
    plain_text = models.BooleanField(default=False)
    # The name question (shown on the first compose page until answered) was answered.
    name_asked = models.BooleanField(default=False)
    # Starter templates are offered once; a user who deletes them does not get them back.
    starters_given = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"writing preferences of {self.user}"
