from django.urls import path

from webmail.preferences import views

app_name = "preferences"
urlpatterns = [path("", views.edit, name="edit")]
