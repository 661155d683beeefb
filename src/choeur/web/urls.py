from django.urls import path

from choeur.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("administration/", views.administration, name="administration"),
    path("structure-courante/", views.switch_structure, name="switch_structure"),
]
