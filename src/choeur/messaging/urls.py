from django.urls import path

from choeur.messaging import views

app_name = "messaging"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/lues/", views.mark_read, name="mark_read"),
    path("mon-compte/notifications/", views.preferences, name="preferences"),
    path("administration/actualites/", views.actualite_list, name="actualite_list"),
    path("administration/actualites/nouvelle/", views.actualite_create,
         name="actualite_create"),
    path("administration/actualites/<int:pk>/", views.actualite_edit, name="actualite_edit"),
]
