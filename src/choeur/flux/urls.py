from django.urls import path

from choeur.flux import views

app_name = "flux"

urlpatterns = [
    path("raccordements/flux/", views.flux_list, name="list"),
    path("raccordements/flux/deposer/", views.flux_deposit, name="deposit"),
    path("raccordements/flux/<str:numero>/", views.flux_detail, name="detail"),
    path("raccordements/flux/<str:numero>/compte-rendu.pdf", views.flux_report, name="report"),
    path("raccordements/flux/<str:numero>/relancer/", views.flux_retry, name="retry"),
]
