from django.urls import path

from webmail.undo import views

app_name = "undo"
urlpatterns = [
    path("<int:pk>/", views.undo, name="undo"),
]
