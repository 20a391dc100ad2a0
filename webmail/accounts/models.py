from django.conf import settings
from django.db import models
from django.views.decorators.debug import sensitive_variables

from webmail.core import crypto


class MailAccount(models.Model):
    """A user's mailbox on the configured IMAP/SMTP server, with the password encrypted at rest."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_account")
    email = models.EmailField(unique=True)
    # Fernet token; the key lives in the environment (CREDENTIALS_KEYS), never in the database.
    encrypted_password = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped whenever the outbox gets something new to show (webmail/outbox/toasts.py): pages skip
    # the outbox query while the session knows nothing changed since it last found nothing.
    outbox_version = models.PositiveBigIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return self.email

    @sensitive_variables("password")
    def set_password(self, password: str) -> None:
        self.encrypted_password = crypto.encrypt(password)

    def password(self) -> str:
        return crypto.decrypt(self.encrypted_password)
