from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/register/", views.register, name="register"),
    path("accounts/profile/", views.profile_edit, name="profile_edit"),
    path("accounts/privacy/", views.privacy, name="privacy"),
    path("accounts/color-mode/", views.color_mode, name="color_mode"),
    path(
        "accounts/members/<id:member_id>/follow/",
        views.member_follow,
        name="member_follow",
    ),
    path(
        "accounts/members/<id:member_id>/ignore/",
        views.member_ignore,
        name="member_ignore",
    ),
    path("terms/", views.terms, name="terms"),
    path("privacy/", views.privacy_policy, name="privacy_policy"),
    path("accounts/agree/", views.agree, name="agree"),
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
