from django import forms
from django.conf import settings
from django.db.models.functions import Lower

from accounts.models import User
from forum.forms import (
    PostBodyField,
    PreviewMixin,
    SubmissionTokenMixin,
    validate_title_characters,
)
from forum.quoting import strip_quotes

NAMES_FIELD_MAX = 2000


class MembersField(forms.CharField):
    """Usernames separated by commas, cleaned into active members (one query)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", NAMES_FIELD_MAX)
        kwargs.setdefault("help_text", "Usernames, separated by commas: alice, bob.")
        super().__init__(**kwargs)

    def clean(self, value) -> list[User]:
        text = super().clean(value)
        names = list(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
        if not names:
            raise forms.ValidationError("Name at least one member.")
        limit = settings.FORUM_CONVERSATION_MAX_PARTICIPANTS
        if len(names) > limit:
            raise forms.ValidationError(
                f"Name at most {limit - 1} members; a conversation has at most "
                f"{limit}, you included."
            )
        if any(len(n) > 150 for n in names):
            raise forms.ValidationError("That is not a username.")
        found = {
            u.username.lower(): u
            for u in User.objects.annotate(key=Lower("username")).filter(
                key__in=[n.lower() for n in names], is_active=True
            )
        }
        missing = [n for n in names if n.lower() not in found]
        if missing:
            raise forms.ValidationError(
                "No member is called " + ", ".join(missing) + "."
            )
        return [found[n.lower()] for n in names]


class ConversationForm(PreviewMixin, SubmissionTokenMixin):
    recipients = MembersField(label="To")
    title = forms.CharField(
        max_length=150,
        min_length=3,
        validators=[validate_title_characters],
        error_messages={
            "required": "Please give the conversation a title.",
            "min_length": "The title needs at least %(limit_value)d characters.",
            "max_length": "Keep the title under %(limit_value)d characters.",
        },
    )
    body = PostBodyField()
    field_order = ["recipients", "title", "body", "submission_token"]


class MessageForm(PreviewMixin, SubmissionTokenMixin):
    body = PostBodyField()


class EditMessageForm(PreviewMixin, forms.Form):
    body = PostBodyField()


class InviteForm(forms.Form):
    members = MembersField(label="Invite")


class ModeratorViewForm(forms.Form):
    reason = forms.CharField(
        label="Why you need to read this conversation",
        max_length=200,
        help_text="Recorded in the moderation log with your name.",
    )


class ReportHandleForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("resolved", "Resolve"), ("rejected", "Reject")]
    )
    comment = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


def quote_messages(messages) -> str:
    """Quote blocks naming each message's author (no link: a message is not a post
    anyone else can open)."""
    blocks = []
    for message in messages:
        name = message.author.username if message.author else "A former member"
        # A name with a quote mark would end the attribution early.
        name = name.replace('"', "")
        blocks.append(f'[QUOTE="{name}"]\n{strip_quotes(message.body)}\n[/QUOTE]\n')
    return "\n".join(blocks)
