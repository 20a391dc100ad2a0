from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from webmail.preferences.forms import PreferencesForm
from webmail.preferences.models import Preferences


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, instance=Preferences.for_user(request.user))
    if request.method == "POST":
        if form.is_valid():
            form.save()
            # Said in the language the next page will speak, when it was just changed.
            with translation.override(form.instance.language or translation.get_language_from_request(request)):
                messages.success(request, _("Settings saved."))
            return redirect("preferences:edit")
        return render(request, "preferences/edit.html", {"form": form, "title": _("Settings")}, status=400)
    return render(request, "preferences/edit.html", {"form": form, "title": _("Settings")})
