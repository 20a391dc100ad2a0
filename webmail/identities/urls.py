from django.urls import path

from webmail.identities import views

app_name = "identities"
urlpatterns = [
    path("", views.overview, name="list"),
    path("bienvenue/", views.welcome, name="welcome"),
    path("identites/nouvelle/", views.identity_edit, name="identity_new"),
    path("identites/<int:pk>/", views.identity_edit, name="identity_edit"),
    path("identites/<int:pk>/supprimer/", views.identity_delete, name="identity_delete"),
    path("identites/<int:pk>/par-defaut/", views.identity_default, name="identity_default"),
    path("signatures/nouvelle/", views.signature_edit, name="signature_new"),
    path("signatures/<int:pk>/", views.signature_edit, name="signature_edit"),
    path("signatures/<int:pk>/supprimer/", views.signature_delete, name="signature_delete"),
    path("modeles/<int:pk>/", views.template_edit, name="template_edit"),
    path("modeles/<int:pk>/supprimer/", views.template_delete, name="template_delete"),
    path("modeles/depuis/<uuid:composition>/", views.template_from, name="template_from"),
]
