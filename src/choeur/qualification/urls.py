from django.urls import path

from choeur.qualification import views

app_name = "qualification"
urlpatterns = [
    path("qualification/horloge/", views.clock_page, name="clock"),
    path("qualification/pannes/<int:account_id>/", views.faults_page, name="faults"),
]
