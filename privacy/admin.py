"""The user admin gains the erasure actions; data download requests are listed.

The forum's ``MemberAdmin`` (forum/admin.py) is registered in place of the accounts
one; this app stands above the forum, so it subclasses that one in turn.
"""

from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from accounts.models import User
from forum.admin import MemberAdmin
from privacy import erasure
from privacy.models import DataExport

admin.site.unregister(User)


@admin.register(User)
class PrivacyMemberAdmin(MemberAdmin):
    """The member admin, with the account erasure members can ask for themselves."""

    actions = [*MemberAdmin.actions, "erase_keeping_posts", "erase_removing_posts"]

    @admin.action(
        description='Erase selected accounts now, posts kept as "Deleted member"',
        permissions=["delete"],
    )
    def erase_keeping_posts(self, request: HttpRequest, queryset: QuerySet):
        return self._erase(request, queryset, remove_posts=False)

    @admin.action(
        description="Erase selected accounts now, and remove their posts",
        permissions=["delete"],
    )
    def erase_removing_posts(self, request: HttpRequest, queryset: QuerySet):
        return self._erase(request, queryset, remove_posts=True)

    def _erase(self, request: HttpRequest, queryset: QuerySet, *, remove_posts: bool):
        members = list(queryset.filter(erased_at__isnull=True).order_by("pk"))
        if request.POST.get("confirm") != "yes":
            # An erasure cannot be undone: the first click shows what it will do.
            return TemplateResponse(
                request,
                "privacy/admin_erase_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Erase accounts",
                    "members": members,
                    "remove_posts": remove_posts,
                    "action": request.POST.get("action", ""),
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "opts": self.model._meta,
                },
            )
        self._each(
            request,
            members,
            "Erased",
            lambda member: erasure.erase_member(
                member=member, remove_posts=remove_posts, actor=request.user
            ),
        )
        return None


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin):
    """Who asked for their data and how it went; the archives stay private."""

    list_display = ["user", "status", "requested_at", "ready_at", "expires_at", "size"]
    list_filter = ["status"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in DataExport._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # A row deleted here would leave its archive in storage; the daily
        # upkeep deletes both when the link expires.
        return False
