from django.urls import path

from choeur.aide import views

app_name = "aide"

urlpatterns = [
    path("aide/", views.index, name="index"),
    # Before the articles' pattern: « assistant » is no article's slug.
    path("aide/assistant/", views.assistant_view, name="assistant"),
    path("aide/assistant/activation/", views.assistant_activation, name="assistant_activation"),
    path("aide/assistant/avis/", views.assistant_rate, name="assistant_rate"),
    path("aide/<slug:slug>/", views.article, name="article"),
    path("aide/<slug:slug>/avis/", views.article_vote, name="article_vote"),
]
