from django.urls import path

from webmail.reminders import views

app_name = "reminders"
urlpatterns = [
    path("suivi/", views.follow_up, name="follow_up"),
    path("suivi/envoi/<int:pk>/", views.follow_up_sent, name="follow_up_sent"),
    path("suivi/<int:pk>/relancer/", views.relaunch, name="relaunch"),
    path("suivi/<int:pk>/ignorer/", views.ignore, name="ignore"),
    path("reporter/", views.snooze, name="snooze"),
]
