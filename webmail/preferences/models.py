from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

UNDO_DELAY_CHOICES = [(5, _("5 seconds")), (10, _("10 seconds")), (20, _("20 seconds")), (30, _("30 seconds"))]


class Preferences(models.Model):
    """One row per user: the settings page. Read with `for_user`, which never fails."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences")
    undo_delay = models.PositiveSmallIntegerField(_("Cancel window"), choices=UNDO_DELAY_CHOICES, default=10)
    signature = models.TextField(_("Signature"), blank=True, max_length=5000)

    def __str__(self) -> str:
        return f"preferences of {self.user}"

    @classmethod
    def for_user(cls, user) -> "Preferences":
        preferences, _ = cls.objects.get_or_create(user=user)
        return preferences
