from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import Tier, User


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "min_posts", "style", "order"]
    list_editable = ["min_posts", "style", "order"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = [
        "username",
        "email",
        "tier",
        "pinned_tier",
        "custom_title",
        "post_count",
        "is_moderator",
        "is_staff",
        "is_banned",
        "date_joined",
    ]
    list_select_related = ["tier", "pinned_tier"]
    list_filter = [
        "tier",
        "pinned_tier",
        "is_moderator",
        "is_staff",
        "is_banned",
        "is_active",
    ]
    search_fields = ["username", "email"]
    autocomplete_fields = ["pinned_tier"]
    readonly_fields = [
        "tier",
        "post_count",
        "last_seen_at",
        "last_login",
        "date_joined",
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
        ("Ban", {"fields": ["is_banned", "banned_until", "ban_reason"]}),
    ]
