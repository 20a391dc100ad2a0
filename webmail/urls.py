from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from webmail.core import health

urlpatterns = [
    path("", include("webmail.mailbox.urls")),
    path("compte/", include("webmail.accounts.urls")),
    path("ecrire/", include("webmail.compose.urls")),
    path("envoi/", include("webmail.outbox.urls")),
    path("parametres/", include("webmail.preferences.urls")),
    path("parametres/ecrire/", include("webmail.identities.urls")),
    path("annuler/", include("webmail.undo.urls")),
    path("rappels/", include("webmail.reminders.urls")),
    # The language can be chosen before signing in, on the sign-in page.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
