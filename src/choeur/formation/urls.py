from django.urls import path

from choeur.formation import views

app_name = "formation"

urlpatterns = [
    path("formation/", views.index, name="index"),
    # Before the guides' pattern: « exercices » is no module's slug.
    path("formation/exercices/", views.exercise_list, name="exercises"),
    path("formation/exercices/<slug:ident>/commencer/", views.exercise_start,
         name="exercise_start"),
    path("formation/exercices/<slug:ident>/verifier/", views.exercise_verify,
         name="exercise_verify"),
    path("formation/<slug:slug>/", views.guide, name="guide"),
    path("formation/<slug:slug>/quiz/", views.quiz, name="quiz"),
]
