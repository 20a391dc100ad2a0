from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from webmail.compose import richtext
from webmail.compose.addresses import parse_recipients
from webmail.compose.headers import one_line
from webmail.compose.models import Composition
from webmail.identities.models import Identity, Signature


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


# Suggestions come from the server as the user types (see compose.contacts).
ADDRESS_ATTRS = {
    "autocomplete": "off", "list": "contacts", "hx-get": reverse_lazy("compose:suggest"),
    "hx-trigger": "input changed delay:300ms", "hx-target": "#contacts", "hx-swap": "innerHTML", "dir": "auto",
}


class CompositionForm(forms.ModelForm):
    """Saving a draft accepts anything typed; `validate_for_sending` adds the checks Envoyer needs.

    The editor posts `format` "rich" with the HTML in `body_html` (sanitised here, and turned into
    the plain `body` the checks read), or "plain" with the text in `body`."""

    format = forms.ChoiceField(choices=[("plain", "plain"), ("rich", "rich")], required=False,
                               widget=forms.HiddenInput)

    class Meta:
        model = Composition
        fields = ["identity", "to", "cc", "bcc", "subject", "body", "body_html", "signature", "quote"]
        labels = {"to": _("To"), "cc": _("Cc"), "bcc": _("Bcc"), "subject": _("Subject"), "body": _("Message"),
                  "identity": _("From"), "signature": _("Signature"), "quote": _("Quoted message")}
        widgets = {
            "to": forms.TextInput(attrs=ADDRESS_ATTRS),
            "cc": forms.TextInput(attrs=ADDRESS_ATTRS),
            "bcc": forms.TextInput(attrs=ADDRESS_ATTRS),
            # dir="auto": the text runs the way the language typed does (Arabic in a French UI, and back).
            "subject": forms.TextInput(attrs={"dir": "auto"}),
            "body": forms.Textarea(attrs={"rows": 16, "dir": "auto"}),
            "body_html": forms.Textarea(attrs={"hidden": True}),
            "quote": forms.Textarea(attrs={"rows": 8, "dir": "auto"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.instance.user
        self.fields["identity"].queryset = Identity.objects.filter(user=user)
        self.fields["identity"].empty_label = None
        self.fields["identity"].required = False
        self.fields["signature"].queryset = Signature.objects.filter(user=user)
        self.fields["signature"].empty_label = _("None")
        self.fields["signature"].required = False
        # The page says "plain" (the textarea is what a browser without JavaScript edits); editor.js
        # says "rich" when it turns the textarea into the editor.
        self.initial.setdefault("format", "plain")

    def clean_subject(self) -> str:
        return one_line(self.cleaned_data["subject"])

    def clean_identity(self):
        return self.cleaned_data.get("identity") or self.instance.identity

    def clean(self):
        cleaned = super().clean()
        for name in ("identity", "signature", "quote"):
            if name not in self.data:  # a page without that control keeps what the composition has
                cleaned[name] = getattr(self.instance, name)
        if cleaned.get("format") == "rich":
            cleaned["body_html"] = richtext.clean(cleaned.get("body_html") or "") or "<div><br></div>"
            cleaned["body"] = richtext.to_text(cleaned["body_html"])
        elif cleaned.get("format") == "plain":
            cleaned["body_html"] = ""
        elif "body_html" in self.data:  # no format said: HTML if some was sent
            cleaned["body_html"] = richtext.clean(cleaned.get("body_html") or "")
            if cleaned["body_html"]:
                cleaned["body"] = richtext.to_text(cleaned["body_html"])
        elif "body" in self.data:  # a client that knows only the text (an old page, a script): plain text
            cleaned["body_html"] = ""
        else:
            cleaned["body_html"] = self.instance.body_html
        return cleaned

    def save(self, commit: bool = True) -> Composition:
        composition = super().save(commit)
        chosen = self.cleaned_data.get("format")
        if chosen:  # the "texte brut" switch is remembered for the next message
            from webmail.identities.service import remember_format

            remember_format(composition.user, plain_text=chosen == "plain")
        return composition

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
