from django.urls import path

from choeur.chat import views

app_name = "chat"

urlpatterns = [
    path("direct/", views.home, name="home"),
    path("direct/agents/", views.console, name="console"),
    path("direct/agents/etat/", views.console_state, name="console_state"),
    path("direct/<int:pk>/", views.conversation, name="conversation"),
    path("direct/<int:pk>/messages/", views.poll, name="poll"),
    path("direct/<int:pk>/ecrire/", views.send, name="send"),
    path("direct/<int:pk>/prendre/", views.accept, name="accept"),
    path("direct/<int:pk>/terminer/", views.close, name="close"),
    path("direct/<int:pk>/sollicitation/", views.to_sollicitation, name="to_sollicitation"),
]
