from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from webmail.preferences.models import WEEKDAYS, Preferences

TIME_ZONES = sorted(zone for zone in available_timezones() if "/" in zone and not zone.startswith(("Etc/", "SystemV/")))


def _languages() -> list[tuple[str, str]]:
    """Each language in its own name ("Polski", "العربية"): findable by whoever reads it."""
    return [("", _("My browser’s language"))] + [
        (code, capfirst(translation.get_language_info(code)["name_local"])) for code, _name in settings.LANGUAGES
    ]


class PreferencesForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("Language"), choices=_languages, required=False,
                                 help_text=_("Without a choice, the language your browser asks for (French when it is none of these)."))
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=[(zone, zone) for zone in TIME_ZONES])
    working_days = forms.TypedMultipleChoiceField(
        label=_("Working days"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Preferences
        fields = [
            "language", "theme", "digits", "undo_delay", "time_zone", "office_start", "office_end", "working_days", "off_hours_nudge",
            "check_attachment", "check_subject", "check_placeholders", "check_recipients_privacy",
            "visible_recipients_limit", "check_domain_typos", "check_reply_all", "reply_all_limit",
            "check_heavy_attachments", "heavy_attachments_mb", "notify_new_mail", "conversations",
        ]
        widgets = {
            "theme": forms.RadioSelect,
            "digits": forms.RadioSelect,
            "undo_delay": forms.RadioSelect,
            "office_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "office_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "visible_recipients_limit": forms.NumberInput(attrs={"min": 1, "max": 500}),
            "reply_all_limit": forms.NumberInput(attrs={"min": 1, "max": 500}),
            "heavy_attachments_mb": forms.NumberInput(attrs={"min": 1, "max": 1000}),
        }
        help_texts = {
            "digits": _("How dates, times and numbers are written when the language is Arabic."),
            "undo_delay": _("How long “Undo” stays available after you click “Send”."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and not self.is_bound:
            self.initial["working_days"] = sorted(self.instance.working_day_numbers)

    def clean_working_days(self) -> str:
        days = self.cleaned_data["working_days"]
        if not days:
            raise forms.ValidationError(_("Choose at least one working day."))
        return ",".join(str(day) for day in sorted(set(days)))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("office_start"), cleaned.get("office_end")
        if start and end and start >= end:
            self.add_error("office_end", _("Office hours must end after they start."))
        return cleaned
