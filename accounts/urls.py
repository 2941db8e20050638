from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("accounts/register/", views.register, name="register"),
    path("members/<str:key>/", views.member_detail, name="member_detail"),
]
