from django.conf import settings
from django.db import models


class TrustedSender(models.Model):
    """A sender whose remote images the user chose to always show ("always show for this sender")."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trusted_senders")
    email = models.CharField(max_length=320)  # stored lowercased
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "email"], name="unique_trusted_sender")]

    def __str__(self) -> str:
        return self.email

    @classmethod
    def is_trusted(cls, user, email: str) -> bool:
        return bool(email) and cls.objects.filter(user=user, email=email.lower()).exists()

    @classmethod
    def trust(cls, user, email: str) -> None:
        cls.objects.get_or_create(user=user, email=email.lower())
