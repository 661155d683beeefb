from django.urls import path

from choeur.qualification import views

app_name = "qualification"
urlpatterns = [
    path("qualification/horloge/", views.clock_page, name="clock"),
    path("qualification/simulateur/", views.simulator_list, name="simulator_list"),
    path("qualification/simulateur/<int:pk>/", views.simulator_page, name="simulator"),
]
