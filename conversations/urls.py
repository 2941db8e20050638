from django.urls import path

from conversations.views import members, moderation

app_name = "conversations"
# No titles in these paths: an address can leak (history, referrers, logs), and a
# conversation's title is as private as its messages.
urlpatterns = [
    path("", members.conversation_list, name="conversation_list"),
    path("new/", members.conversation_create, name="conversation_create"),
    path(
        "<id:conversation_id>/",
        members.conversation_detail,
        name="conversation_detail",
    ),
    path(
        "<id:conversation_id>/unread/",
        members.conversation_unread,
        name="conversation_unread",
    ),
    path(
        "<id:conversation_id>/reply/",
        members.conversation_reply,
        name="conversation_reply",
    ),
    path(
        "<id:conversation_id>/invite/",
        members.conversation_invite,
        name="conversation_invite",
    ),
    path(
        "<id:conversation_id>/leave/",
        members.conversation_leave,
        name="conversation_leave",
    ),
    path(
        "<id:conversation_id>/moderate/",
        moderation.conversation_moderate,
        name="conversation_moderate",
    ),
    path("messages/<id:message_id>/", members.message_detail, name="message_detail"),
    path("messages/<id:message_id>/edit/", members.message_edit, name="message_edit"),
    path(
        "messages/<id:message_id>/history/",
        members.message_history,
        name="message_history",
    ),
    path(
        "messages/<id:message_id>/report/",
        members.message_report,
        name="message_report",
    ),
    path("reports/", moderation.report_list, name="report_list"),
    path("reports/<id:report_id>/", moderation.report_detail, name="report_detail"),
]
