from datetime import time
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import dates
from django.utils.translation import gettext_lazy as _

WEEKDAYS = sorted(dates.WEEKDAYS.items())  # Django's own translated names, Monday=0


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(_("Unknown time zone: %(zone)s"), params={"zone": value})


UNDO_DELAY_CHOICES = [(5, _("5 seconds")), (10, _("10 seconds")), (20, _("20 seconds")), (30, _("30 seconds"))]
# "" everywhere below: follow the browser (Accept-Language, prefers-color-scheme, the locale's digits).
THEME_CHOICES = [("", _("Same as my device")), ("light", _("Light")), ("dark", _("Dark"))]
DIGITS_CHOICES = [("", _("The language’s usual digits")), ("latn", _("Western digits (0123…)")),
                  ("arab", _("Arabic-Indic digits (٠١٢٣…)"))]


class Preferences(models.Model):
    """One row per user: the settings page. Read with `for_user`, which never fails."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences")
    language = models.CharField(_("Language"), max_length=8, blank=True, default="",
                                choices=[("", _("My browser’s language")), *settings.LANGUAGES])
    theme = models.CharField(_("Appearance"), max_length=8, blank=True, default="", choices=THEME_CHOICES)
    digits = models.CharField(_("Digits in Arabic"), max_length=4, blank=True, default="", choices=DIGITS_CHOICES)
    undo_delay = models.PositiveSmallIntegerField(_("Cancel window"), choices=UNDO_DELAY_CHOICES, default=10)
    signature = models.TextField(_("Signature"), blank=True, max_length=5000)
    # Office hours: the presets of "Programmer l'envoi" and the off-hours nudge follow them.
    time_zone = models.CharField(_("Time zone"), max_length=64, default="Europe/Paris",
                                 validators=[validate_time_zone])
    office_start = models.TimeField(_("Office hours start"), default=time(8, 0))
    office_end = models.TimeField(_("Office hours end"), default=time(18, 0))
    working_days = models.CharField(_("Working days"), max_length=20, default="0,1,2,3,4")
    off_hours_nudge = models.BooleanField(_("Suggest scheduling when I send outside office hours"), default=True)
    # Pre-send checks: each can be switched off; thresholds are the user's.
    check_attachment = models.BooleanField(_("Forgotten attachment"), default=True)
    check_subject = models.BooleanField(_("Empty or vague subject"), default=True)
    check_placeholders = models.BooleanField(_("Unfilled placeholders"), default=True)
    check_recipients_privacy = models.BooleanField(_("Many visible recipients"), default=True)
    visible_recipients_limit = models.PositiveSmallIntegerField(_("Visible recipients before suggesting Bcc"),
                                                                default=10)
    check_domain_typos = models.BooleanField(_("Mistyped domains"), default=True)
    check_reply_all = models.BooleanField(_("Reply-all to many people"), default=True)
    reply_all_limit = models.PositiveSmallIntegerField(_("People in a reply-all before warning"), default=10)
    check_heavy_attachments = models.BooleanField(_("Heavy attachments"), default=True)
    heavy_attachments_mb = models.PositiveSmallIntegerField(_("Attachment size warning (MB)"), default=10)
    # New mail: a desktop notification only once the user asked for it here (the browser then asks too).
    notify_new_mail = models.BooleanField(_("Show a desktop notification when new mail arrives"), default=False)
    conversations = models.BooleanField(_("Group messages into conversations"), default=True)

    def __str__(self) -> str:
        return f"preferences of {self.user}"

    @property
    def working_day_numbers(self) -> frozenset[int]:
        return frozenset(int(day) for day in self.working_days.split(",") if day.strip().isdigit())

    def office_hours(self):
        from webmail.outbox.schedule import OfficeHours

        return OfficeHours(time_zone=self.time_zone, start=self.office_start, end=self.office_end,
                           working_days=self.working_day_numbers)

    @classmethod
    def of(cls, user) -> "Preferences":
        """To read them on a page: the user's preferences as loaded with the user (the auth backend
        joins them: no query), or the defaults for one who never saved any."""
        return getattr(user, "preferences", None) or cls(**settings.PREFERENCES_DEFAULTS)

    @classmethod
    def for_user(cls, user) -> "Preferences":
        preferences, _ = cls.objects.get_or_create(user=user, defaults=settings.PREFERENCES_DEFAULTS)
        return preferences
