from django.urls import path

from webmail.mailbox import views

app_name = "mailbox"
urlpatterns = [
    path("", views.home, name="home"),
    path("mail/", views.folder, name="folder"),
    path("mail/recherche/", views.search, name="search"),
    path("mail/nouveautes/", views.news, name="news"),
    path("mail/actions/", views.act, name="act"),
    path("mail/<int:uid>/", views.message, name="message"),
    path("mail/<int:uid>/corps/", views.body, name="body"),
    path("mail/<int:uid>/conversation/", views.conversation, name="conversation"),
    path("mail/<int:uid>/pieces/<str:part>/", views.attachment, name="attachment"),
    path("mail/<int:uid>/pieces/<str:part>/apercu/", views.attachment_preview, name="attachment_preview"),
    path("mail/<int:uid>/confiance/", views.trust_sender, name="trust_sender"),
    path("mail/image/<str:token>/", views.inline_image, name="inline_image"),
    path("dossiers/", views.manage_folders, name="folders"),
    path("dossiers/creer/", views.create_folder, name="create_folder"),
    path("dossiers/renommer/", views.rename_folder, name="rename_folder"),
    path("dossiers/supprimer/", views.delete_folder, name="delete_folder"),
]
