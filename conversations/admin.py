"""The back office sees conversations without their text.

The list shows numbers and dates only: no title, no message, no search box (a
search would reveal text by what it finds). Reading one goes through the site's
audited "view as moderator" page, linked from each row, which records who looked
and why. Messages, participants and revisions are not registered at all.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from conversations.models import Conversation, MessageReport


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "participant_count",
        "last_position",
        "created_at",
        "last_message_at",
        "audited_view",
    ]
    list_display_links = None
    ordering = ["-last_message_at", "-id"]
    fields = ["participant_count", "last_position", "created_at", "last_message_at"]
    readonly_fields = fields

    @admin.display(description="Read")
    def audited_view(self, conversation: Conversation) -> str:
        url = reverse("conversations:conversation_moderate", args=[conversation.pk])
        return format_html('<a href="{}">View as moderator (audited)</a>', url)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MessageReport)
class MessageReportAdmin(admin.ModelAdmin):
    # The reported text is read on the report's own page, with the report flow.
    list_display = ["__str__", "status", "reporter", "author", "created_at", "link"]
    list_filter = ["status"]
    list_select_related = ["reporter", "author"]
    list_display_links = None
    fields = ["status", "reporter", "author", "created_at", "handled_by", "handled_at"]
    readonly_fields = fields

    @admin.display(description="Report")
    def link(self, report: MessageReport) -> str:
        return format_html(
            '<a href="{}">Open the report</a>', report.get_absolute_url()
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
