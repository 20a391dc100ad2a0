from django import forms
from django.utils.translation import gettext_lazy as _

from webmail.mailbox.listing import Criteria

SEARCH_FIELDS = ("q", "from", "to", "subject", "body", "since", "until", "scope")


class SearchForm(forms.Form):
    """The top bar's search box (q) and the advanced search form, both GET to the message list."""

    q = forms.CharField(label=_("Words anywhere in the message"), required=False, max_length=200)
    to = forms.CharField(label=_("Recipient"), required=False, max_length=200)
    subject = forms.CharField(label=_("Subject"), required=False, max_length=200)
    body = forms.CharField(label=_("Body text"), required=False, max_length=200)
    since = forms.DateField(label=_("From date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    scope = forms.ChoiceField(
        label=_("Where"),
        required=False,
        choices=[("folder", _("This folder")), ("all", _("All folders"))],
        initial="folder",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword, so this field is added by name.
        self.fields["from"] = forms.CharField(label=_("Sender"), required=False, max_length=200)
        self.order_fields(["q", "from", "to", "subject", "body", "since", "until", "scope"])

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    def criteria(self, folder_given: bool) -> Criteria:
        """The top bar's box sends no folder and searches everywhere; the advanced form says where."""
        data = self.cleaned_data
        scope = data.get("scope") or ("folder" if folder_given else "all")
        return Criteria(
            text=data.get("q", "").strip(),
            sender=data.get("from", "").strip(),
            recipient=data.get("to", "").strip(),
            subject=data.get("subject", "").strip(),
            body=data.get("body", "").strip(),
            since=data.get("since"),
            until=data.get("until"),
            all_folders=scope == "all",
        )


def is_search(query) -> bool:
    return any(query.get(name) for name in SEARCH_FIELDS if name != "scope")
