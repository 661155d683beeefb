from django.urls import path

from choeur.archives import views

app_name = "archives"

urlpatterns = [
    path("structures/<int:pk>/archives/", views.structure_archives, name="structure"),
]
