from django import forms
from django.utils.translation import gettext_lazy as _

from webmail.compose.headers import one_line
from webmail.identities.models import Identity, Signature, Template


class NameForm(forms.Form):
    name = forms.CharField(label=_("Your name, as your correspondents will see it"), max_length=200)

    def clean_name(self) -> str:
        return one_line(self.cleaned_data["name"])


class IdentityForm(forms.ModelForm):
    class Meta:
        model = Identity
        fields = ["name", "email", "reply_to", "new_signature", "reply_signature"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.user = user
        for name in ("new_signature", "reply_signature"):
            self.fields[name].queryset = Signature.objects.filter(user=user)
            self.fields[name].empty_label = _("None")

    def clean_name(self) -> str:
        return one_line(self.cleaned_data["name"])

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        taken = Identity.objects.filter(user=self.instance.user, email__iexact=email).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("You already have an identity with this address."))
        return email


class RichTextForm(forms.ModelForm):
    """A signature or a template: the editor posts its HTML in `markup`, a plain textarea `text`."""

    markup = forms.CharField(required=False, widget=forms.Textarea(attrs={"hidden": True}))


class SignatureForm(RichTextForm):
    class Meta:
        model = Signature
        fields = ["name", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}


class TemplateForm(RichTextForm):
    class Meta:
        model = Template
        fields = ["name", "subject", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 10})}

    def clean_subject(self) -> str:
        return one_line(self.cleaned_data["subject"])
