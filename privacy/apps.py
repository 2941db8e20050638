from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Members' own data: the download of everything they wrote, account deletion."""

    name = "privacy"
    verbose_name = "Members' data"
    default_auto_field = "django.db.models.BigAutoField"
