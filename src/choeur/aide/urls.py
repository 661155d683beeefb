from django.urls import path

from choeur.aide import views

app_name = "aide"

urlpatterns = [
    path("aide/", views.index, name="index"),
    path("aide/<slug:slug>/", views.article, name="article"),
]
