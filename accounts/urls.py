from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/register/", views.register, name="register"),
    path("accounts/profile/", views.profile_edit, name="profile_edit"),
    path("accounts/email/", views.email_change, name="email_change"),
]
