from django import forms
from django.utils.translation import gettext_lazy as _

from webmail.preferences.models import Preferences


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = Preferences
        fields = ["undo_delay", "signature"]
        widgets = {
            "undo_delay": forms.RadioSelect,
            "signature": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "undo_delay": _("How long “Undo” stays available after you click “Send”."),
            "signature": _("Added below your messages, above quoted text in replies."),
        }
