from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db import models
from django.db.models import Q
from django.utils import timezone

import markup
from accounts import consents, services
from accounts.models import Agreement, LegalDocument, Tier, User
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


@admin.register(LegalDocument)
class LegalDocumentAdmin(admin.ModelAdmin):
    """Terms and privacy versions: write a draft, then publish it with the action.

    A published version is read-only; a change is a new version, and publishing it
    asks every member to agree again on their next visit (accounts/consents.py).
    """

    list_display = ["__str__", "title", "kind", "version", "published_at"]
    list_filter = ["kind"]
    fields = ["kind", "title", "body", "version", "created_at", "published_at"]
    readonly_fields = ["version", "created_at", "published_at"]
    actions = ["publish"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.published_at is not None:
            return self.fields
        if obj is not None:
            return [*self.readonly_fields, "kind"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        consents.save_draft(document=obj)

    def has_change_permission(self, request, obj=None) -> bool:
        # Staff view a published version; saving one is refused, not ignored.
        if obj is not None and obj.published_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Agreements point at published versions; drafts may go.
        if obj is not None and obj.published_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description="Publish selected drafts now", permissions=["change"])
    def publish(self, request, queryset) -> None:
        drafts = list(queryset.filter(published_at__isnull=True).order_by("version"))
        for document in drafts:
            consents.publish_document(document=document)
        self.message_user(
            request,
            f"Published {len(drafts)} version(s); members will be asked to agree "
            "on their next visit.",
        )


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    """Who agreed to which version, when: a record, never edited."""

    list_display = ["user", "document", "agreed_at"]
    list_filter = ["document"]
    list_select_related = ["user", "document"]
    search_fields = ["user__username"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
