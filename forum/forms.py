import uuid

from django import forms

MAX_BODY_LENGTH = 50_000


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
        kwargs.setdefault("max_length", MAX_BODY_LENGTH)
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


class ReplyForm(SubmissionTokenMixin):
    body = PostBodyField()


class ThreadForm(SubmissionTokenMixin):
    title = forms.CharField(
        max_length=150,
        min_length=3,
        error_messages={
            "required": "Please give your thread a title.",
            "min_length": "The title needs at least %(limit_value)d characters.",
            "max_length": "Keep the title under %(limit_value)d characters.",
        },
    )
    body = PostBodyField()
    field_order = ["title", "body", "submission_token"]
