from django.urls import path

from choeur.formation import session_views, views

app_name = "formation"

urlpatterns = [
    path("formation/", views.index, name="index"),
    # Before the guides' pattern: « exercices », « sessions », « rejoindre » are no module's.
    path("formation/exercices/", views.exercise_list, name="exercises"),
    path("formation/exercices/<slug:ident>/commencer/", views.exercise_start,
         name="exercise_start"),
    path("formation/exercices/<slug:ident>/verifier/", views.exercise_verify,
         name="exercise_verify"),
    path("formation/sessions/", session_views.session_list, name="sessions"),
    path("formation/sessions/<int:pk>/", session_views.session_detail, name="session"),
    path("formation/sessions/<int:pk>/inviter/", session_views.session_invite,
         name="session_invite"),
    path("formation/sessions/<int:pk>/cloture/", session_views.session_close,
         name="session_close"),
    path("formation/sessions/<int:pk>/resultats.csv", session_views.session_csv,
         name="session_csv"),
    path("formation/sessions/<int:pk>/emargement.pdf", session_views.session_pdf,
         name="session_pdf"),
    path("formation/sessions/<int:pk>/stagiaires/<int:user_pk>/",
         session_views.session_trainee, name="session_trainee"),
    path("formation/sessions/<int:pk>/quitter/", session_views.leave, name="leave"),
    path("formation/rejoindre/", session_views.join, name="join"),
    path("formation/rejoindre/<str:code>/", session_views.join, name="join_code"),
    path("formation/<slug:slug>/", views.guide, name="guide"),
    path("formation/<slug:slug>/quiz/", views.quiz, name="quiz"),
]
