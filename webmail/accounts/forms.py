import math

from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from webmail.accounts import throttle
from webmail.core.client_address import client_address
from webmail.imap.gateway import ServerUnreachable


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        email = self.cleaned_data.get("email")
        password = self.cleaned_data.get("password")
        if not email or not password:
            return self.cleaned_data
        client_ip = client_address(self.request)
        if wait := throttle.locked_for(client_ip, email):
            minutes = math.ceil(wait / 60)
            raise forms.ValidationError(
                ngettext(
                    "Too many failed attempts. Try again in %(minutes)s minute.",
                    "Too many failed attempts. Try again in %(minutes)s minutes.",
                    minutes,
                ) % {"minutes": minutes},
                code="throttled",
            )
        try:
            self.user = authenticate(self.request, email=email, password=password)
        except ServerUnreachable:
            raise forms.ValidationError(
                _("The mail server cannot be reached right now. Please try again in a moment."),
                code="unreachable",
            ) from None
        if self.user is None:
            throttle.record_failure(client_ip, email)
            raise forms.ValidationError(_("Wrong e-mail address or password."), code="invalid_login")
        throttle.reset(client_ip, email)
        return self.cleaned_data
