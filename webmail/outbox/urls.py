from django.urls import path

from webmail.compose import correction_views
from webmail.outbox import views

app_name = "outbox"
urlpatterns = [
    path("", views.outbox_list, name="list"),
    path("toasts/", views.toasts, name="toasts"),
    path("<int:pk>/annuler/", views.cancel, name="cancel"),
    path("<int:pk>/fermer/", views.dismiss, name="dismiss"),
    path("<int:pk>/afficher/", views.show_sent, name="show_sent"),
    path("<int:pk>/renvoyer/", views.resend_refused, name="resend_refused"),
    path("<int:pk>/correctif/", correction_views.start, name="correct"),
    path("<int:pk>/correctif/destinataires/", correction_views.choose, name="correct_choose"),
    path("fermer/", views.dismiss_folded, name="dismiss_folded"),
    path("tout-arreter/", views.stop_everything, name="stop_everything"),
    path("tout-arreter/programmes/", views.stop_scheduled, name="stop_scheduled"),
    path("programmes/", views.scheduled_list, name="scheduled"),
    path("programmes/<int:pk>/", views.scheduled_detail, name="scheduled_detail"),
    path("programmes/<int:pk>/envoyer/", views.send_now, name="send_now"),
    path("programmes/<int:pk>/reprogrammer/", views.reschedule, name="reschedule"),
    path("programmes/<int:pk>/modifier/", views.edit_scheduled, name="edit_scheduled"),
    path("programmes/<int:pk>/annuler/", views.cancel_scheduled, name="cancel_scheduled"),
]
