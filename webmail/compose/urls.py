from django.urls import path

from webmail.compose import correction_views, views

app_name = "compose"
urlpatterns = [
    path("", views.new, name="new"),
    path("contacts/", views.suggest, name="suggest"),
    path("correctif/", correction_views.start, name="correct"),
    path("correctif/destinataires/", correction_views.choose, name="correct_choose"),
    path("<uuid:pk>/", views.edit, name="edit"),
    path("<uuid:pk>/enregistrer/", views.autosave, name="autosave"),
    path("<uuid:pk>/pieces-jointes/", views.upload, name="upload"),
    path("<uuid:pk>/pieces-jointes/<int:attachment_id>/supprimer/", views.remove_attachment,
         name="remove_attachment"),
    path("<uuid:pk>/supprimer/", views.discard, name="discard"),
]
