from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import models
from django.db.models import Q
from django.utils import timezone

import markup
from accounts import services
from accounts.models import Tier, User
from accounts.validators import validate_signature_images, validate_username


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


class MemberCreationForm(AdminUserCreationForm):
    """A member added by staff follows the naming rules of registration."""

    def clean_username(self) -> str:
        username = super().clean_username()  # None once it has reported a clash
        if username:
            validate_username(username)
        return username


class MemberChangeForm(UserChangeForm):
    """A rename follows the naming rules of registration; a signature, its limits."""

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        # Only a new name is checked: a member named before the rules keeps it.
        if "username" in self.changed_data:
            validate_username(username, member=self.instance)
        return username

    def clean_signature(self) -> str:
        signature = markup.clean_text(self.cleaned_data["signature"])
        validate_signature_images(signature)
        return signature


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Member rows as staff see them. The forum's admin re-registers a subclass
    that adds moderation (bans, titles, moderator rights) with its audit rows."""

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
    form = MemberChangeForm
    add_form = MemberCreationForm
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
        # Staff edited the source of a profile text: its HTML follows.
        if change and {"about", "signature"} & set(form.changed_data):
            services.refresh_profile_html(member=obj)
