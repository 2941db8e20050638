from django.urls import path

from floor import views

urlpatterns = [path("posts/<int:thread_id>/", views.posts)]
