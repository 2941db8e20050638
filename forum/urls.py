from django.urls import path

from forum.feeds import BoardThreadsFeed, LatestThreadsFeed
from forum.views import alerts as alert_views
from forum.views import (
    approval,
    bookmarks,
    moderation,
    posting,
    reading,
    readstate,
    reports,
    whatsnew,
)
from forum.views import discovery as discovery_views
from forum.views import drafts as draft_views
from forum.views import members as member_views
from forum.views import reactions as reaction_views
from forum.views import search as search_views
from forum.views import watching as watch_views

app_name = "forum"
urlpatterns = [
    path("", reading.index, name="index"),
    path("search/", search_views.search, name="search"),
    path("boards/<slug:slug>/", reading.board_detail, name="board_detail"),
    path("boards/<slug:slug>/new-thread/", posting.thread_create, name="thread_create"),
    path("boards/<slug:slug>/draft/", draft_views.board_draft, name="board_draft"),
    # Actions live under /threads/<id>/…, pages under /threads/<id>-<slug>/, so no
    # title can produce a slug that collides with an action.
    path(
        "threads/<id:thread_id>-<slug:slug>/",
        reading.thread_detail,
        name="thread_detail",
    ),
    path("threads/<id:thread_id>/", reading.thread_detail, name="thread_detail_bare"),
    path("threads/<id:thread_id>/reply/", posting.reply, name="reply"),
    path(
        "threads/<id:thread_id>/draft/", draft_views.thread_draft, name="thread_draft"
    ),
    path("threads/<id:thread_id>/quotes/", posting.quotes, name="quotes"),
    path(
        "threads/<id:thread_id>/moderate/",
        moderation.thread_moderate,
        name="thread_moderate",
    ),
    path("threads/<id:thread_id>/move/", moderation.thread_move, name="thread_move"),
    path(
        "threads/<id:thread_id>/delete/",
        moderation.thread_delete,
        name="thread_delete",
    ),
    path(
        "threads/<id:thread_id>/unread/", readstate.thread_unread, name="thread_unread"
    ),
    path(
        "boards/<slug:slug>/mark-read/",
        readstate.board_mark_read,
        name="board_mark_read",
    ),
    path("mark-all-read/", readstate.mark_all_read, name="mark_all_read"),
    path("whats-new/", whatsnew.whats_new, name="whats_new"),
    path("posts/<id:post_id>/bookmark/", bookmarks.bookmark_post, name="bookmark_post"),
    path("account/bookmarks/", bookmarks.bookmark_list, name="bookmark_list"),
    path(
        "account/bookmarks/<id:bookmark_id>/",
        bookmarks.bookmark_edit,
        name="bookmark_edit",
    ),
    path(
        "account/bookmarks/<id:bookmark_id>/delete/",
        bookmarks.bookmark_delete,
        name="bookmark_delete",
    ),
    path("posts/<id:post_id>/", reading.post_detail, name="post_detail"),
    path("posts/<id:post_id>/edit/", posting.post_edit, name="post_edit"),
    path("posts/<id:post_id>/history/", posting.post_history, name="post_history"),
    path("posts/<id:post_id>/delete/", posting.post_delete, name="post_delete"),
    path("posts/<id:post_id>/restore/", posting.post_restore, name="post_restore"),
    path("posts/<id:post_id>/react/", reaction_views.post_react, name="post_react"),
    path(
        "posts/<id:post_id>/unreact/",
        reaction_views.post_unreact,
        name="post_unreact",
    ),
    path(
        "posts/<id:post_id>/reactions/",
        reaction_views.post_reactions,
        name="post_reactions",
    ),
    path("posts/<id:post_id>/approve/", approval.post_approve, name="post_approve"),
    path("posts/<id:post_id>/reject/", approval.post_reject, name="post_reject"),
    path("moderation/approval/", approval.approval_queue, name="approval_queue"),
    path("preview/", posting.preview, name="preview"),
    path("posts/<id:post_id>/report/", reports.report_post, name="report_post"),
    path("members/<id:member_id>/report/", reports.report_member, name="report_member"),
    path(
        "members/<id:member_id>/delete-spammer/",
        moderation.member_delete_spammer,
        name="member_delete_spammer",
    ),
    path(
        "members/<id:member_id>/addresses/",
        moderation.member_addresses,
        name="member_addresses",
    ),
    path("moderation/reports/", reports.report_list, name="report_list"),
    path(
        "moderation/reports/<id:report_id>/",
        reports.report_detail,
        name="report_detail",
    ),
    # Alerts and watching (forum/alerts.py, forum/watching.py).
    path("alerts/", alert_views.alert_list, name="alert_list"),
    path("alerts/menu/", alert_views.alert_menu, name="alert_menu"),
    path("alerts/read/", alert_views.alert_read_all, name="alert_read_all"),
    path("alerts/<id:alert_id>/", alert_views.alert_open, name="alert_open"),
    path(
        "alerts/unsubscribe/<str:token>/",
        alert_views.alert_unsubscribe,
        name="alerts_unsubscribe",
    ),
    path(
        "account/alerts/preferences/",
        alert_views.alert_preferences,
        name="alert_preferences",
    ),
    path("account/watched/", watch_views.watched, name="watched"),
    path(
        "threads/<id:thread_id>/watch/", watch_views.thread_watch, name="thread_watch"
    ),
    path("boards/<slug:slug>/watch/", watch_views.board_watch, name="board_watch"),
    # Discovery (issue 12): the member list (profiles are /members/<key>/, routed
    # in config/urls.py; "members/" alone never reaches that route), who's online,
    # feeds and what crawlers read.
    path("members/", member_views.member_list, name="member_list"),
    path("online/", discovery_views.online, name="online"),
    path("feeds/threads/", LatestThreadsFeed(), name="feed"),
    path("boards/<slug:slug>/feed/", BoardThreadsFeed(), name="board_feed"),
    path("sitemap.xml", discovery_views.sitemap, name="sitemap"),
    path(
        "sitemap-<slug:section>.xml",
        discovery_views.sitemap_section,
        name="sitemap_section",
    ),
    path("robots.txt", discovery_views.robots_txt, name="robots_txt"),
]
