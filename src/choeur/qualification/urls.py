from django.urls import path

from choeur.qualification import views

app_name = "qualification"
urlpatterns = [
    path("qualification/horloge/", views.clock_page, name="clock"),
    path("qualification/tester-un-fichier/", views.file_test_page, name="file_test"),
]
