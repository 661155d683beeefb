from django.urls import path

from choeur.formation import views

app_name = "formation"

urlpatterns = [
    path("formation/", views.index, name="index"),
    path("formation/<slug:slug>/", views.guide, name="guide"),
    path("formation/<slug:slug>/quiz/", views.quiz, name="quiz"),
]
