from django.urls import path

from choeur.reporting import views

app_name = "reporting"

urlpatterns = [
    path("tableau-de-bord/<str:side>/", views.dashboard, name="dashboard"),
    path("tableau-de-bord/<str:side>/<str:name>.csv", views.table_csv, name="csv"),
]
