import uuid

from django import forms

import markup
from accounts.mentions import members_in_database
from forum.models import Board
from markup.characters import (
    MAX_COMBINING_MARKS,
    describe,
    forbidden_in_line,
    longest_mark_run,
)


class SubmissionTokenMixin(forms.Form):
    """A hidden token per rendered form, so a double submit posts only once."""

    submission_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_token", uuid.uuid4())


class PostBodyField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", "Message")
        kwargs.setdefault("max_length", markup.MAX_BODY_LENGTH)
        kwargs.setdefault(
            "error_messages",
            {
                "required": "Please write a message before posting.",
                "max_length": (
                    "Your message is %(show_value)d characters long; "
                    "the limit is %(limit_value)d."
                ),
            },
        )
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8}))
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        # Tab and newline are the only control characters a body keeps.
        return markup.clean_text(super().to_python(value))

    def validate(self, value: str) -> None:
        super().validate(value)
        if self.max_length and len(value) > self.max_length:
            return  # the max_length validator reports this one
        if found := markup.problems(value):
            raise forms.ValidationError(found)


def validate_title_characters(title: str) -> None:
    """A title is one line of plain text: no control or bidi control characters."""
    # A NUL has its own message from Django's CharField.
    found = forbidden_in_line(title.replace("\x00", ""))
    if found:
        raise forms.ValidationError(
            f"The title contains {describe(found)}, an invisible character that "
            "would change how the title and the text around it read. Remove it."
        )
    if longest_mark_run(title) > MAX_COMBINING_MARKS:
        raise forms.ValidationError(
            f"A letter in the title carries more than {MAX_COMBINING_MARKS} "
            "accents or other combining marks."
        )


class PreviewMixin:
    """Preview of the body field, rendered only once the body passes every check.

    Rendering is refused for bodies over the limits: the sanitiser's cost grows
    quickly with size, and a preview must not be a way around the limits.
    """

    def preview_html(self) -> str:
        if "body" in self.errors or not self.cleaned_data.get("body"):
            return ""
        return markup.render(
            self.cleaned_data["body"], known_members=members_in_database
        )


class ReplyForm(PreviewMixin, SubmissionTokenMixin):
    body = PostBodyField()


class ThreadForm(PreviewMixin, SubmissionTokenMixin):
    title = forms.CharField(
        max_length=150,
        min_length=3,
        validators=[validate_title_characters],
        error_messages={
            "required": "Please give your thread a title.",
            "min_length": "The title needs at least %(limit_value)d characters.",
            "max_length": "Keep the title under %(limit_value)d characters.",
        },
    )
    body = PostBodyField()
    field_order = ["title", "body", "submission_token"]


class EditPostForm(PreviewMixin, forms.Form):
    """Edit a post's text; the thread's title too when the editor may rename it."""

    title = forms.CharField(
        max_length=150,
        min_length=3,
        validators=[validate_title_characters],
        error_messages=ThreadForm.base_fields["title"].error_messages,
    )
    body = PostBodyField()

    def __init__(self, *args, can_rename: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not can_rename:
            del self.fields["title"]


class DeletePostForm(forms.Form):
    reason = forms.CharField(
        max_length=255,
        required=False,
        help_text="Shown to moderators, and to the author.",
    )


class MoveThreadForm(forms.Form):
    board = forms.ModelChoiceField(
        queryset=None, empty_label=None, help_text="The board the thread moves to."
    )

    def __init__(self, *args, moderator, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["board"].queryset = (
            Board.objects.moderated_by(moderator)
            .select_related("category")
            .order_by("category__position", "position", "id")
        )
        self.fields["board"].label_from_instance = lambda board: (
            f"{board.category.name} › {board.name}"
        )


class ReportForm(forms.Form):
    """Why a post or member needs a moderator's look."""

    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What is wrong with it? Moderators read this.",
        error_messages={"required": "Say what is wrong, so moderators know."},
    )


class ReportHandleForm(forms.Form):
    """A moderator's comment on a report, and whether it closes the report."""

    ACTIONS = [
        ("comment", "Comment only"),
        ("resolve", "Resolve"),
        ("reject", "Reject"),
    ]
    action = forms.ChoiceField(choices=ACTIONS, initial="comment")
    comment = forms.CharField(
        label="Comment",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "comment" and not data.get("comment", "").strip():
            self.add_error("comment", "Write a comment, or resolve or reject.")
        return data


class DeleteSpammerForm(forms.Form):
    """The reason recorded with a spammer's ban and every deletion."""

    reason = forms.CharField(label="Reason", max_length=255, initial="Spam")
