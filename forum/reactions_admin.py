"""The back office for reactions: the set members choose from, and who gave which.

Imported by ``forum/admin.py``. A score edited here goes through
``forum.reactions.save_reaction``, which rescores every member the reaction reached
in the same transaction; ``manage.py recount`` repairs anything edited elsewhere.
A reaction that has been given cannot be deleted (its rows protect it): untick
"active" to retire it, which keeps its past uses and stops new ones.
"""

from django.contrib import admin

from forum import reactions
from forum.models import PostReaction, Reaction


@admin.register(Reaction)
class ReactionAdmin(admin.ModelAdmin):
    list_display = ["name", "emoji", "score", "position", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["name"]

    def save_model(self, request, obj: Reaction, form, change) -> None:
        reactions.save_reaction(reaction=obj)


@admin.register(PostReaction)
class PostReactionAdmin(admin.ModelAdmin):
    """Who reacted how to what: read-only, since counts and scores move with rows."""

    list_display = ["reaction", "user", "post", "created_at"]
    list_filter = ["reaction"]
    list_select_related = ["reaction", "user", "post"]
    search_fields = ["user__username"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
