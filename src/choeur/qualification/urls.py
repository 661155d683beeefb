from django.urls import path

from choeur.qualification import views

app_name = "qualification"
urlpatterns = [
    path("qualification/horloge/", views.clock_page, name="clock"),
    path("qualification/matelas/", views.matelas_page, name="matelas"),
    path("qualification/matelas/matelas.csv", views.matelas_csv, name="matelas_csv"),
    path("qualification/matelas/echantillons.zip", views.matelas_samples,
         name="matelas_samples"),
    path("qualification/pannes/<int:account_id>/", views.faults_page, name="faults"),
    path("qualification/simulateur/", views.simulator_list, name="simulator_list"),
    path("qualification/simulateur/<int:pk>/", views.simulator_page, name="simulator"),
    path("qualification/tester-un-fichier/", views.file_test_page, name="file_test"),
]
