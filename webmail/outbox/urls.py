from django.urls import path

from webmail.outbox import views

app_name = "outbox"
urlpatterns = [
    path("", views.outbox_list, name="list"),
    path("toasts/", views.toasts, name="toasts"),
    path("<int:pk>/annuler/", views.cancel, name="cancel"),
    path("<int:pk>/fermer/", views.dismiss, name="dismiss"),
    path("<int:pk>/afficher/", views.show_sent, name="show_sent"),
]
