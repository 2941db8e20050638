from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts import services
from accounts.models import Tier, User


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "min_posts", "style", "order"]
    list_editable = ["min_posts", "style", "order"]
    search_fields = ["name"]

    # Changing the ladder changes who has earned what: re-derive every member's tier
    # in one UPDATE after each save or delete.
    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        services.recompute_tiers()

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        services.recompute_tiers()

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        services.recompute_tiers()


class BanStatusFilter(admin.SimpleListFilter):
    title = "ban"
    parameter_name = "ban"

    def lookups(self, request, model_admin):
        return [("current", "Banned now"), ("expired", "Ban expired"), ("no", "Never")]

    def queryset(self, request, queryset):
        now = timezone.now()
        current = Q(is_banned=True) & (
            Q(banned_until__isnull=True) | Q(banned_until__gt=now)
        )
        if self.value() == "current":
            return queryset.filter(current)
        if self.value() == "expired":
            return queryset.filter(is_banned=True, banned_until__lte=now)
        if self.value() == "no":
            return queryset.filter(is_banned=False)
        return queryset


class MemberActionForm(ActionForm):
    """Extra inputs beside the action menu, read by the actions that need them."""

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


def _action_inputs(request: HttpRequest) -> dict:
    form = MemberActionForm(request.POST)
    form.is_valid()
    return form.cleaned_data


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username",
        "email",
        "title_shown",
        "tier",
        "pinned_tier",
        "custom_title",
        "post_count",
        "is_moderator",
        "is_staff",
        "ban_status",
        "date_joined",
    ]
    list_select_related = ["tier", "pinned_tier"]
    list_filter = [
        "tier",
        "pinned_tier",
        "is_moderator",
        "is_staff",
        BanStatusFilter,
        "is_active",
    ]
    search_fields = ["username", "email"]
    show_full_result_count = False
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = [
        "tier",
        "post_count",
        "last_seen_at",
        "last_login",
        "date_joined",
        "is_banned",
        "banned_until",
        "ban_reason",
    ]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (
            "Forum profile",
            {
                "fields": [
                    "custom_title",
                    "pinned_tier",
                    "tier",
                    "post_count",
                    "is_moderator",
                    "avatar",
                    "location",
                    "website",
                    "about",
                    "signature",
                    "last_seen_at",
                ]
            },
        ),
        (
            "Ban",
            {
                "description": (
                    "Ban and unban with the actions of the member list, "
                    "so that each one is recorded."
                ),
                "fields": ["is_banned", "banned_until", "ban_reason"],
            },
        ),
    ]
    action_form = MemberActionForm
    actions = ["ban_members", "unban_members", "set_custom_title", "pin_tier"]

    @admin.display(description="Shown title")
    def title_shown(self, obj: User) -> str:
        return obj.title

    @admin.display(description="Ban")
    def ban_status(self, obj: User) -> str:
        if not obj.is_currently_banned:
            return "expired" if obj.is_banned else ""
        if obj.banned_until:
            return f"until {timezone.localtime(obj.banned_until):%Y-%m-%d %H:%M}"
        return "banned"

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            return
        # Titles and moderator rights change what members see: go through the
        # services so each change leaves a ModerationAction row.
        if {"custom_title", "pinned_tier"} & set(form.changed_data):
            services.set_member_title(
                member=obj,
                moderator=request.user,
                custom_title=obj.custom_title,
                pinned_tier=obj.pinned_tier,
            )
        if {"about", "signature"} & set(form.changed_data):
            services.refresh_profile_html(member=obj)
        if "is_moderator" in form.changed_data:
            services.set_member_moderator(
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
        inputs = _action_inputs(request)
        if not inputs.get("reason"):
            self.message_user(
                request, "Give a reason for the ban in the Reason box.", messages.ERROR
            )
            return
        self._each(
            request,
            queryset,
            "Banned",
            lambda member: services.ban_member(
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
            lambda member: services.unban_member(member=member, moderator=request.user),
        )

    @admin.action(
        description="Set custom title (empty clears it)", permissions=["change"]
    )
    def set_custom_title(self, request: HttpRequest, queryset: QuerySet) -> None:
        title = _action_inputs(request).get("title", "")
        self._each(
            request,
            queryset,
            "Retitled",
            lambda member: services.set_member_title(
                member=member,
                moderator=request.user,
                custom_title=title,
                pinned_tier=member.pinned_tier,
            ),
        )

    @admin.action(description="Pin tier (empty unpins)", permissions=["change"])
    def pin_tier(self, request: HttpRequest, queryset: QuerySet) -> None:
        tier = _action_inputs(request).get("tier")
        self._each(
            request,
            queryset,
            "Updated the pinned tier of",
            lambda member: services.set_member_title(
                member=member,
                moderator=request.user,
                custom_title=member.custom_title,
                pinned_tier=tier,
            ),
        )
