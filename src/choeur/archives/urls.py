from django.urls import path

from choeur.archives import views

app_name = "archives"

urlpatterns = [
    path("structures/<int:pk>/archives/", views.structure_archives, name="structure"),
    path("structures/<int:pk>/archives/exports/<int:export_id>/", views.download_export,
         name="download"),
]
