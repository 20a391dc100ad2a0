from django import forms
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _

from webmail.mailbox import search_query
from webmail.mailbox.listing import Criteria
from webmail.mailbox.search_query import Term

SEARCH_FIELDS = ("q", "from", "to", "subject", "body", "since", "until", "scope")


class SearchForm(forms.Form):
    """The top bar's search box (q) and the advanced search form, both GET to the message list."""

    q = forms.CharField(label=_("Words anywhere in the message"), required=False, max_length=500)
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
        """The top bar's box sends no folder and searches everywhere (unless it says in:…); the
        advanced form says where. Operators in the box are read by `search_query.parse`."""
        data = self.cleaned_data
        scope = data.get("scope") or ("folder" if folder_given else "all")
        query = search_query.parse(data.get("q", ""), get_format("DATE_INPUT_FORMATS"))
        fields = [("from", data.get("from", "").strip()), ("to", data.get("to", "").strip()),
                  ("subject", data.get("subject", "").strip()), ("body", data.get("body", "").strip()),
                  ("after", data.get("since")), ("until", data.get("until"))]
        terms = query.terms + [Term(name, value) for name, value in fields if value]
        return Criteria(
            terms=tuple(terms),
            all_folders=scope == "all",
            folder=query.folder,
            excluded_folders=tuple(query.excluded_folders),
            notices=tuple(query.notices),
        )


def is_search(query) -> bool:
    return any(query.get(name) for name in SEARCH_FIELDS if name != "scope")
