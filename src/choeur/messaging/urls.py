from django.urls import path

from choeur.messaging import views

app_name = "messaging"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/lues/", views.mark_read, name="mark_read"),
]
