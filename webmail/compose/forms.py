from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from webmail.compose.addresses import parse_recipients
from webmail.compose.headers import one_line
from webmail.compose.models import Composition


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


# Suggestions come from the server as the user types (see compose.contacts).
ADDRESS_ATTRS = {
    "autocomplete": "off", "list": "contacts", "hx-get": reverse_lazy("compose:suggest"),
    "hx-trigger": "input changed delay:300ms", "hx-target": "#contacts", "hx-swap": "innerHTML",
}


class CompositionForm(forms.ModelForm):
    """Saving a draft accepts anything typed; `validate_for_sending` adds the checks Envoyer needs."""

    class Meta:
        model = Composition
        fields = ["to", "cc", "bcc", "subject", "body"]
        labels = {"to": _("To"), "cc": _("Cc"), "bcc": _("Bcc"), "subject": _("Subject"), "body": _("Message")}
        widgets = {
            "to": forms.TextInput(attrs=ADDRESS_ATTRS),
            "cc": forms.TextInput(attrs=ADDRESS_ATTRS),
            "bcc": forms.TextInput(attrs=ADDRESS_ATTRS),
            "subject": forms.TextInput(),
            "body": forms.Textarea(attrs={"rows": 16}),
        }

    def clean_subject(self) -> str:
        return one_line(self.cleaned_data["subject"])

    def validate_for_sending(self) -> bool:
        if not self.is_valid():
            return False
        parsed = {field: parse_recipients(self.cleaned_data[field]) for field in ("to", "cc", "bcc")}
        for field, recipients in parsed.items():
            if recipients.invalid:
                self.add_error(field, ngettext(
                    "This is not a valid address: %(list)s", "These are not valid addresses: %(list)s",
                    len(recipients.invalid),
                ) % {"list": ", ".join(recipients.invalid)})
        if not any(recipients.valid for recipients in parsed.values()):
            self.add_error("to", _("Add at least one recipient."))
        return not self.errors


def check_attachment_sizes(existing: int, files) -> str | None:
    """An error message when the new files would take the message over the size limit."""
    total = existing + sum(f.size for f in files)
    if total > settings.ATTACHMENTS_MAX_BYTES:
        return str(_("Attachments are limited to %(limit)s per message (these would make %(total)s).") % {
            "limit": filesizeformat(settings.ATTACHMENTS_MAX_BYTES), "total": filesizeformat(total)})
    return None
