from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The forum's report queue lists other apps' queues through a registry: the
        # forum sits below this app and may not import it.
        from conversations import reports
        from forum.reports import register_queue_section

        register_queue_section(reports.queue_section)
