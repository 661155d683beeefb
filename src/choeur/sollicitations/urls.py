from django.urls import path

from choeur.sollicitations import views

app_name = "sollicitations"

urlpatterns = [
    path("sollicitations/", views.home, name="home"),
    path("sollicitations/nouvelle/", views.new, name="new"),
    path("sollicitations/liste/<slug:side>/", views.listing, name="list"),
    path("sollicitations/<int:pk>/", views.detail, name="detail"),
    path("sollicitations/<int:pk>/supprimer/", views.discard, name="discard"),
    path("sollicitations/<int:pk>/pieces/<int:attachment_pk>/", views.attachment,
         name="attachment"),
    path("sollicitations/<int:pk>/<slug:step>/", views.act, name="act"),
    path("contact/", views.contact, name="contact"),
    path("contact/envoyee/", views.contact_done, name="contact_done"),
    path("contact/suivi/<str:token>/", views.followup_page, name="followup"),
    path("contact/suivi/<str:token>/pieces/<int:attachment_pk>/", views.followup_attachment,
         name="followup_attachment"),
    path("contact/suivi/<str:token>/<slug:step>/", views.followup_act, name="followup_act"),
]
