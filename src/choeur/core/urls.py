from django.urls import path

from choeur.core import views

urlpatterns = [
    # /healthz is answered by choeur.core.middleware.HealthCheckMiddleware, before host checks.
    path("administration/courriels/", views.outbox, name="outbox"),
    path("administration/courriels/<str:name>", views.outbox_detail, name="outbox-detail"),
]
