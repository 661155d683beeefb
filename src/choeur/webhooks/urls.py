from django.urls import path

from choeur.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("structures/<int:pk>/raccordements/webhooks/", views.webhook_list, name="list"),
    path("structures/<int:pk>/raccordements/webhooks/nouveau/", views.webhook_create,
         name="create"),
    path("structures/<int:pk>/raccordements/webhooks/<int:webhook_id>/", views.webhook_detail,
         name="detail"),
    path("structures/<int:pk>/raccordements/webhooks/<int:webhook_id>/secret/",
         views.webhook_rotate, name="rotate"),
    path("structures/<int:pk>/raccordements/webhooks/<int:webhook_id>/desactiver/",
         views.webhook_deactivate, name="deactivate"),
    path("structures/<int:pk>/raccordements/webhooks/<int:webhook_id>/test/",
         views.webhook_test, name="test"),
    path("structures/<int:pk>/raccordements/webhooks/<int:webhook_id>/envois/"
         "<int:delivery_id>/renvoyer/", views.delivery_redeliver, name="redeliver"),
]
