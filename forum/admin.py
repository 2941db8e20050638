from django.contrib import admin

from forum.models import Board, Category, ModerationAction, Post, PostRevision, Thread


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "category",
        "parent",
        "position",
        "thread_count",
        "post_count",
    ]
    list_editable = ["position"]
    list_filter = ["category"]
    list_select_related = ["category", "parent"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    autocomplete_fields = ["category", "parent"]
    readonly_fields = ["thread_count", "post_count", "last_post", "last_post_at"]


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "board",
        "author",
        "reply_count",
        "view_count",
        "is_sticky",
        "is_locked",
        "is_deleted",
        "last_post_at",
    ]
    list_filter = ["is_sticky", "is_locked", "is_deleted", "board"]
    list_select_related = ["board", "author"]
    search_fields = ["title", "author__username"]
    autocomplete_fields = ["board", "author"]
    readonly_fields = [
        "reply_count",
        "view_count",
        "last_position",
        "last_post",
        "last_post_at",
    ]
    show_full_result_count = False


class PostRevisionInline(admin.TabularInline):
    model = PostRevision
    extra = 0
    readonly_fields = ["editor", "created_at", "body"]
    can_delete = False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "thread", "author", "created_at", "is_deleted"]
    list_filter = ["is_deleted"]
    list_select_related = ["thread", "author"]
    search_fields = ["body", "author__username"]
    autocomplete_fields = ["thread", "author"]
    readonly_fields = [
        "position",
        "body",
        "body_html",
        "created_at",
        "edited_at",
        "ip_address",
    ]
    inlines = [PostRevisionInline]
    show_full_result_count = False


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "thread", "post", "reason"]
    list_select_related = ["actor", "thread", "post"]
    list_filter = ["action"]
    search_fields = ["actor__username", "reason"]
