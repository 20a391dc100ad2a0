from django.urls import path

from webmail.accounts import views

app_name = "accounts"
urlpatterns = [
    path("connexion/", views.sign_in, name="login"),
    path("deconnexion/", views.sign_out, name="logout"),
]
