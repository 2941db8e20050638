from django.urls import path

from forum.views import posting, reading

app_name = "forum"
urlpatterns = [
    path("", reading.index, name="index"),
    path("boards/<slug:slug>/", reading.board_detail, name="board_detail"),
    path("boards/<slug:slug>/new-thread/", posting.thread_create, name="thread_create"),
    path("threads/<id:thread_id>/", reading.thread_detail, name="thread_detail_bare"),
    path("threads/<id:thread_id>/reply/", posting.reply, name="reply"),
    path(
        "threads/<id:thread_id>/<str:slug>/",
        reading.thread_detail,
        name="thread_detail",
    ),
    path("posts/<id:post_id>/", reading.post_detail, name="post_detail"),
]
