from django.urls import path

from choeur.core import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("administration/courriels/", views.outbox, name="outbox"),
    path("administration/courriels/<str:name>", views.outbox_detail, name="outbox-detail"),
]
