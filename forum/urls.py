from django.urls import path

from forum import views

app_name = "forum"
urlpatterns = [
    path("", views.index, name="index"),
    path("boards/<slug:slug>/", views.board_detail, name="board_detail"),
    path("boards/<slug:slug>/new-thread/", views.thread_create, name="thread_create"),
    path("threads/<id:thread_id>/", views.thread_detail, name="thread_detail_bare"),
    path("threads/<id:thread_id>/reply/", views.reply, name="reply"),
    path(
        "threads/<id:thread_id>/<str:slug>/", views.thread_detail, name="thread_detail"
    ),
    path("posts/<id:post_id>/", views.post_detail, name="post_detail"),
]
