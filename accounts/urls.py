from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/register/", views.register, name="register"),
    path("accounts/profile/", views.profile_edit, name="profile_edit"),
    path("accounts/email/", views.email_change, name="email_change"),
    path(
        "accounts/email/confirm/",
        views.email_confirm_resend,
        name="email_confirm_resend",
    ),
    path(
        "accounts/email/confirm/<str:token>/",
        views.email_confirm,
        name="email_confirm",
    ),
]
