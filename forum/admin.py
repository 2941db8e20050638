"""The moderation desk. Every change that moves a counter goes through a service.

Threads and posts are never created, hard-deleted or re-parented through the change
form: those writes would skip the counters and the audit trail, so the forms keep
such fields read-only and the actions call ``forum.services`` instead. Members are
moderated here too: the accounts app's user admin is re-registered with the ban,
title and moderator actions of ``forum.moderation``.
"""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from accounts.admin import UserAdmin
from accounts.models import Tier, User
from forum import (
    moderation,
    reactions_admin,  # noqa: F401 (registers the reaction admins)
    reports,
    services,
)
from forum.models import (
    Board,
    BoardPermission,
    Category,
    ModerationAction,
    Post,
    PostRevision,
    Report,
    ReportComment,
    Thread,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "description"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


PERMISSION_COLUMNS = [
    "view_board",
    "read_threads",
    "start_threads",
    "reply",
    "edit_own",
    "edit_window_minutes",
    "delete_own",
    "moderate",
]


class BoardPermissionInline(admin.TabularInline):
    """This board's overrides; an empty choice inherits the forum-wide rule."""

    model = BoardPermission
    extra = 0
    fields = ["audience", "group", *PERMISSION_COLUMNS]
    autocomplete_fields = ["group"]
    verbose_name = "permission override"


@admin.register(BoardPermission)
class BoardPermissionAdmin(admin.ModelAdmin):
    """Forum-wide rules per audience and every board's overrides, in one list."""

    list_display = ["__str__", "audience", "board", *PERMISSION_COLUMNS]
    list_filter = ["audience", "board", "group"]
    list_select_related = ["board", "group"]
    autocomplete_fields = ["board", "group"]


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    inlines = [BoardPermissionInline]
    list_display = [
        "name",
        "category",
        "parent",
        "position",
        "thread_count",
        "post_count",
        "last_post_at",
    ]
    list_editable = ["position"]
    list_filter = ["category"]
    list_select_related = ["category", "parent"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    autocomplete_fields = ["category", "parent"]
    readonly_fields = ["thread_count", "post_count", "last_post", "last_post_at"]
    show_full_result_count = False


class ModerationActionForm(ActionForm):
    """Inputs beside the action menu: the target board of a move, a reason."""

    board = forms.ModelChoiceField(
        queryset=Board.objects.order_by("name"), required=False, label="Move to"
    )
    reason = forms.CharField(required=False, max_length=255, label="Reason")


def _action_inputs(request: HttpRequest) -> dict:
    form = ModerationActionForm(request.POST)
    form.is_valid()
    return form.cleaned_data


def _apply(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    verb: str,
    write: Callable,
) -> None:
    """Run one service per selected row (each in its own transaction) and report."""
    done = 0
    for obj in queryset:
        try:
            write(obj)
        except PermissionDenied as refusal:
            model_admin.message_user(request, f"{obj}: {refusal}", messages.ERROR)
        else:
            done += 1
    if done:
        model_admin.message_user(request, f"{verb}: {done}.", messages.SUCCESS)


def _thread_action(
    action: str, description: str, verb: str, name: str = ""
) -> Callable:
    """An admin action applying ``services.moderate_thread`` to each selected thread."""

    @admin.action(description=description, permissions=["change"])
    def run(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet):
        reason = _action_inputs(request).get("reason", "")
        _apply(
            model_admin,
            request,
            queryset,
            verb,
            lambda thread: services.moderate_thread(
                thread=thread, moderator=request.user, action=action, reason=reason
            ),
        )

    run.__name__ = name or action
    return run


class NoHardDeleteMixin:
    """Rows are soft-deleted through the services; a hard delete would skip them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Thread)
class ThreadAdmin(NoHardDeleteMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "board",
        "author",
        "reply_count",
        "view_count",
        "is_sticky",
        "is_locked",
        "is_deleted",
        "created_at",
        "last_post_at",
    ]
    list_filter = ["is_sticky", "is_locked", "is_deleted", "is_approved", "board"]
    list_select_related = ["board", "author"]
    search_fields = ["title", "author__username"]
    readonly_fields = [
        "board",
        "author",
        "is_sticky",
        "is_locked",
        "is_deleted",
        "reply_count",
        "view_count",
        "last_position",
        "last_post",
        "last_post_at",
    ]
    readonly_fields = ["slug", *readonly_fields]
    fields = ["title", *readonly_fields]
    show_full_result_count = False
    action_form = ModerationActionForm
    actions = [
        _thread_action("lock", "Lock selected threads", "Locked"),
        _thread_action("unlock", "Unlock selected threads", "Unlocked"),
        _thread_action("stick", "Stick selected threads", "Stuck"),
        _thread_action("unstick", "Unstick selected threads", "Unstuck"),
        "move",
        _thread_action(
            "delete",
            "Delete selected threads (can be restored)",
            "Deleted",
            "soft_delete",
        ),
        _thread_action("restore", "Restore selected threads", "Restored"),
    ]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        # A rename goes through its service: the slug follows and it is audited.
        if "title" in form.changed_data:
            services.rename_thread(thread=obj, actor=request.user, title=obj.title)

    @admin.action(
        description="Move selected threads to the chosen board", permissions=["change"]
    )
    def move(self, request: HttpRequest, queryset: QuerySet) -> None:
        board = _action_inputs(request).get("board")
        if board is None:
            self.message_user(
                request, "Choose the board to move to in “Move to”.", messages.ERROR
            )
            return
        _apply(
            self,
            request,
            queryset,
            f"Moved to {board.name}",
            lambda t: services.move_thread(
                thread=t, moderator=request.user, board=board
            ),
        )


class PostRevisionInline(admin.TabularInline):
    model = PostRevision
    extra = 0
    fields = ["created_at", "editor", "body"]
    readonly_fields = ["editor", "created_at", "body"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("editor")


@admin.register(Post)
class PostAdmin(NoHardDeleteMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "thread",
        "author",
        "excerpt",
        "created_at",
        "is_deleted",
        "is_approved",
    ]
    list_filter = ["is_approved", "is_deleted", "created_at", "thread__board"]
    list_select_related = ["thread", "author"]
    search_fields = ["body", "author__username"]
    readonly_fields = [
        "thread",
        "author",
        "position",
        "body",
        "body_html",
        "created_at",
        "edited_at",
        "edited_by",
        "ip_address",
        "is_deleted",
        "deleted_at",
        "deleted_by",
        "delete_reason",
        "is_approved",
        "held_reason",
    ]
    fields = readonly_fields
    inlines = [PostRevisionInline]
    show_full_result_count = False
    action_form = ModerationActionForm
    actions = ["soft_delete", "restore", "approve", "reject"]

    @admin.display(description="Text")
    def excerpt(self, obj: Post) -> str:
        return obj.body[:80] + ("…" if len(obj.body) > 80 else "")

    @admin.action(
        description="Delete selected posts (can be restored)", permissions=["change"]
    )
    def soft_delete(self, request: HttpRequest, queryset: QuerySet) -> None:
        reason = _action_inputs(request).get("reason", "")
        _apply(
            self,
            request,
            queryset,
            "Deleted",
            lambda p: services.delete_post(post=p, actor=request.user, reason=reason),
        )

    @admin.action(description="Restore selected posts", permissions=["change"])
    def restore(self, request: HttpRequest, queryset: QuerySet) -> None:
        _apply(
            self,
            request,
            queryset,
            "Restored",
            lambda p: services.restore_post(post=p, actor=request.user),
        )

    @admin.action(description="Approve selected held posts", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        _apply(
            self,
            request,
            queryset.filter(is_approved=False, is_deleted=False),
            "Approved",
            lambda p: services.approve_post(post=p, moderator=request.user),
        )

    @admin.action(description="Reject selected held posts", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        reason = _action_inputs(request).get("reason", "")
        _apply(
            self,
            request,
            queryset.filter(is_approved=False, is_deleted=False),
            "Rejected",
            lambda p: services.reject_post(
                post=p, moderator=request.user, reason=reason
            ),
        )


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """The audit trail: read-only, so it stays a record of what happened."""

    list_display = [
        "created_at",
        "actor",
        "action",
        "thread",
        "post",
        "target_user",
        "reason",
    ]
    list_select_related = ["actor", "thread", "post", "target_user"]
    list_filter = ["action"]
    search_fields = ["actor__username", "target_user__username", "reason"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class MemberActionForm(ActionForm):
    """Extra inputs beside the member list's action menu, read by the actions."""

    reason = forms.CharField(required=False, max_length=255, label="Ban reason")
    until = forms.DateTimeField(
        required=False,
        label="Ban until (empty: no end)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    title = forms.CharField(required=False, max_length=60, label="Custom title")
    tier = forms.ModelChoiceField(
        queryset=Tier.objects.all(), required=False, label="Tier"
    )


def _member_inputs(request: HttpRequest) -> dict:
    form = MemberActionForm(request.POST)
    form.is_valid()
    return form.cleaned_data


admin.site.unregister(User)


@admin.register(User)
class MemberAdmin(UserAdmin):
    """The accounts user admin plus member moderation, each change audited."""

    action_form = MemberActionForm
    actions = [
        "ban_members",
        "unban_members",
        "set_custom_title",
        "pin_tier",
        "delete_spammers",
    ]
    list_display = [*UserAdmin.list_display, "addresses"]

    @admin.display(description="Addresses")
    def addresses(self, obj: User) -> str:
        return format_html(
            '<a href="{}">addresses</a>',
            reverse("forum:member_addresses", args=[obj.pk]),
        )

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            return
        # Titles and moderator rights change what members see: go through the
        # services so each change leaves a ModerationAction row.
        if {"custom_title", "pinned_tier"} & set(form.changed_data):
            moderation.set_member_title(
                member=obj,
                moderator=request.user,
                custom_title=obj.custom_title,
                pinned_tier=obj.pinned_tier,
            )
        if "is_moderator" in form.changed_data:
            moderation.set_member_moderator(
                member=obj, moderator=request.user, is_moderator=obj.is_moderator
            )

    def _each(self, request: HttpRequest, queryset: QuerySet, verb: str, write):
        done = 0
        for member in queryset:
            try:
                write(member)
            except (PermissionDenied, ValueError) as refusal:
                self.message_user(
                    request, f"{member.username}: {refusal}", messages.ERROR
                )
            else:
                done += 1
        if done:
            self.message_user(request, f"{verb} {done} member(s).", messages.SUCCESS)

    @admin.action(
        description="Ban selected members (reason, until)", permissions=["change"]
    )
    def ban_members(self, request: HttpRequest, queryset: QuerySet) -> None:
        inputs = _member_inputs(request)
        if not inputs.get("reason"):
            self.message_user(
                request, "Give a reason for the ban in the Reason box.", messages.ERROR
            )
            return
        self._each(
            request,
            queryset,
            "Banned",
            lambda member: moderation.ban_member(
                member=member,
                moderator=request.user,
                reason=inputs["reason"],
                until=inputs.get("until"),
            ),
        )

    @admin.action(description="Unban selected members", permissions=["change"])
    def unban_members(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(
            request,
            queryset,
            "Unbanned",
            lambda member: moderation.unban_member(
                member=member, moderator=request.user
            ),
        )

    @admin.action(
        description="Set custom title (empty clears it)", permissions=["change"]
    )
    def set_custom_title(self, request: HttpRequest, queryset: QuerySet) -> None:
        title = _member_inputs(request).get("title", "")
        self._each(
            request,
            queryset,
            "Retitled",
            lambda member: moderation.set_member_title(
                member=member,
                moderator=request.user,
                custom_title=title,
                pinned_tier=member.pinned_tier,
            ),
        )

    @admin.action(description="Pin tier (empty unpins)", permissions=["change"])
    def pin_tier(self, request: HttpRequest, queryset: QuerySet) -> None:
        tier = _member_inputs(request).get("tier")
        self._each(
            request,
            queryset,
            "Updated the pinned tier of",
            lambda member: moderation.set_member_title(
                member=member,
                moderator=request.user,
                custom_title=member.custom_title,
                pinned_tier=tier,
            ),
        )

    @admin.action(
        description="Delete spammers: ban, delete every thread and post (reason)",
        permissions=["change"],
    )
    def delete_spammers(self, request: HttpRequest, queryset: QuerySet) -> None:
        reason = _member_inputs(request).get("reason") or "Spam"
        self._each(
            request,
            queryset,
            "Banned and removed everything of",
            lambda member: moderation.delete_spammer(
                member=member, moderator=request.user, reason=reason
            ),
        )


class ReportActionForm(ActionForm):
    """The comment recorded with a resolve or reject from the list."""

    comment = forms.CharField(required=False, max_length=2000, label="Comment")


class ReportCommentInline(admin.TabularInline):
    model = ReportComment
    extra = 0
    fields = ["created_at", "author", "body"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("author")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """The report queue. Reports are filed on the site and closed by the actions,
    so each change leaves its audit row; the rows themselves are read-only."""

    list_display = [
        "__str__",
        "status",
        "reporter",
        "member",
        "post",
        "board",
        "short_reason",
        "created_at",
        "handled_by",
        "handled_at",
    ]
    list_filter = ["status", "board", "created_at"]
    list_select_related = ["reporter", "member", "post", "board", "handled_by"]
    # Every field is read-only here: nothing to pick, so nothing to autocomplete.
    autocomplete_fields: list[str] = []
    search_fields = ["reason", "reporter__username", "member__username"]
    fields = [
        "status",
        "reporter",
        "member",
        "post",
        "board",
        "reason",
        "created_at",
        "handled_by",
        "handled_at",
    ]
    readonly_fields = fields
    inlines = [ReportCommentInline]
    show_full_result_count = False
    action_form = ReportActionForm
    actions = ["resolve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="Reason")
    def short_reason(self, obj: Report) -> str:
        return obj.reason[:80] + ("…" if len(obj.reason) > 80 else "")

    def _close(self, request: HttpRequest, queryset: QuerySet, verb: str, close):
        form = ReportActionForm(request.POST)
        form.is_valid()
        comment = form.cleaned_data.get("comment", "")
        done = 0
        for report in queryset.select_related("post__thread"):
            try:
                close(report=report, moderator=request.user, comment=comment)
            except PermissionDenied as refusal:
                self.message_user(request, f"{report}: {refusal}", messages.ERROR)
            except ValidationError as refusal:
                reason = " ".join(refusal.messages)
                self.message_user(request, f"{report}: {reason}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{verb}: {done}.", messages.SUCCESS)

    @admin.action(description="Resolve selected reports (comment)")
    def resolve(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._close(request, queryset, "Resolved", reports.resolve_report)

    @admin.action(description="Reject selected reports (comment)")
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._close(request, queryset, "Rejected", reports.reject_report)
