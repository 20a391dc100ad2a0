from django.urls import path

from webmail.mailbox import views

app_name = "mailbox"
urlpatterns = [
    path("", views.home, name="home"),
    path("mail/", views.folder, name="folder"),
]
