from django.apps import AppConfig


class ForumConfig(AppConfig):
    name = "forum"
    verbose_name = "Forum"

    def ready(self) -> None:
        from accounts.backends import SESSION_USER_EXTRAS
        from forum import access

        # A member's board permissions come with the member's own row.
        SESSION_USER_EXTRAS[access.ROWS] = access.rows_with_the_member
