from django.urls import path

from choeur.accounts import views

urlpatterns = [
    path("connexion/", views.login_view, name="login"),
    path("connexion/code/", views.login_code, name="login-code"),
    path("connexion/second-facteur/", views.login_setup, name="login-setup"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("inscription/", views.register, name="register"),
    path("inscription/envoyee/", views.register_done, name="register-done"),
    path("conditions-generales/", views.terms, name="terms"),
    path("activation/renvoyer/", views.activation_resend, name="activation-resend"),
    path("activation/<str:uidb64>/<str:token>/", views.activate, name="activate"),
    path("mot-de-passe/oublie/", views.password_forgotten, name="password-forgotten"),
    path("mot-de-passe/reinitialiser/<str:uidb64>/<str:token>/", views.password_reset,
         name="password-reset"),
    path("mon-compte/", views.account, name="account"),
    path("mon-compte/profil/", views.account_profile, name="account-profile"),
    path("mon-compte/mot-de-passe/", views.account_password, name="account-password"),
    path("mon-compte/adresse/", views.account_email, name="account-email"),
    path("mon-compte/adresse/confirmer/<str:token>/", views.account_email_confirm,
         name="account-email-confirm"),
    path("mon-compte/second-facteur/", views.account_second_factor,
         name="account-second-factor"),
    path("mon-compte/desactiver/", views.account_deactivate, name="account-deactivate"),
]
