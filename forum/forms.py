import uuid
from datetime import UTC, datetime, time, timedelta

from django import forms
from django.utils import timezone

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


class DraftForm(forms.Form):
    """A reply or new thread kept as typed (forum/drafts.py): never rendered, so
    any text goes, but no longer than a post may be."""

    title = forms.CharField(
        max_length=ThreadForm.base_fields["title"].max_length,
        required=False,
        strip=False,
        error_messages={
            "max_length": "Keep the title under %(limit_value)d characters."
        },
    )
    body = forms.CharField(
        max_length=markup.MAX_BODY_LENGTH,
        required=False,
        strip=False,
        error_messages={
            "max_length": (
                "This draft is %(show_value)d characters long; a post may have "
                "%(limit_value)d."
            )
        },
    )

    def clean_body(self) -> str:
        return markup.clean_text(self.cleaned_data["body"])


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


class DeleteThreadForm(forms.Form):
    reason = forms.CharField(
        max_length=255,
        help_text="Recorded in the moderation log and sent to the author.",
        error_messages={
            "required": "Give a reason: the author is told why their thread went."
        },
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


class SearchForm(forms.Form):
    """/search/'s query string: words, filters, order and a page or date cursor.

    Everything arrives by GET, so a search can be linked and bookmarked. Anything
    malformed (a NUL, an overlong query, an impossible date, a board or thread the
    visitor cannot see) is a form error and a 400, never a query.
    """

    SORTS = [("relevance", "Relevance"), ("date", "Newest first")]
    SHOWS = [("posts", "Posts"), ("threads", "Threads")]

    q = forms.CharField(
        label="Search for",
        max_length=200,
        required=False,
        strip=True,
        help_text='Use "quotes" for a phrase, OR for either word, -word to leave out.',
        error_messages={
            "max_length": "Keep a search under %(limit_value)d characters "
            "(this one has %(show_value)d)."
        },
    )
    board = forms.MultipleChoiceField(label="In boards", required=False, choices=[])
    author = forms.CharField(label="Posted by", max_length=150, required=False)
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="Until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    titles_only = forms.BooleanField(label="Search titles only", required=False)
    thread = forms.RegexField(
        regex=r"\A[0-9]{1,18}\Z", required=False, widget=forms.HiddenInput
    )
    sort = forms.ChoiceField(label="Sort by", choices=SORTS, required=False)
    show = forms.ChoiceField(label="Show results as", choices=SHOWS, required=False)
    page = forms.RegexField(
        regex=r"\A[0-9]{1,4}\Z", required=False, widget=forms.HiddenInput
    )
    before = forms.RegexField(
        regex=r"\A[0-9]{1,20}-[0-9]{1,18}\Z", required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, boards, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.boards = {board.slug: board for board in boards}
        self.fields["board"].choices = [(b.slug, b.name) for b in boards]

    def clean_author(self):
        from accounts.models import User

        name = self.cleaned_data["author"]
        if not name:
            return None
        member = User.objects.filter(username__iexact=name).only("pk").first()
        if member is None:
            raise forms.ValidationError(f"No member is called {name}.")
        return member

    def clean_thread(self):
        from forum.models import Thread

        raw = self.cleaned_data["thread"]
        if not raw:
            return None
        thread = (
            Thread.objects.visible_to(self.user)
            .filter(pk=int(raw))
            .only("title")
            .first()
        )
        if thread is None:
            raise forms.ValidationError("That thread is not there to search.")
        return thread

    def clean_page(self):
        from forum.search import MAX_RELEVANCE_PAGES

        raw = self.cleaned_data["page"]
        page = int(raw) if raw else 1
        if not 1 <= page <= MAX_RELEVANCE_PAGES:
            raise forms.ValidationError(
                f"Results by relevance stop at page {MAX_RELEVANCE_PAGES}; "
                "sort by date to go further back."
            )
        return page

    def clean_before(self):
        raw = self.cleaned_data["before"]
        if not raw:
            return None
        stamp, pk = raw.split("-")
        try:
            at = datetime.fromtimestamp(int(stamp) / 1_000_000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise forms.ValidationError(
                "That page of results does not exist."
            ) from None
        return at, int(pk)

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end of the range comes before its start.")
        if not data.get("q") and not data.get("author") and not self.errors:
            raise forms.ValidationError(
                "Type a word or a phrase to search for, or the name of a member."
            )
        return data

    def criteria(self):
        """The cleaned form as forum.search.Criteria."""
        from forum.search import Criteria

        data = self.cleaned_data
        text = data["q"]
        return Criteria(
            text=text,
            board_ids=tuple(self.boards[slug].pk for slug in data["board"]),
            author_id=data["author"].pk if data["author"] else None,
            since=_day_start(data["since"]),
            until=_day_start(data["until"], after=True),
            titles_only=bool(text) and data["titles_only"],
            thread_id=data["thread"].pk if data["thread"] else None,
            # Without words there is nothing to rank: newest first.
            by_date=data["sort"] == "date" or not text,
            as_threads=data["show"] == "threads",
            page=data["page"],
            before=data["before"],
        )


def _day_start(day, *, after: bool = False):
    """The first instant of ``day`` (of the next day with ``after``), in the site's
    time zone. None, no bound, for no day or a day so far out that no post can lie
    beyond it: shifting year 1 or 9999 to UTC would leave the calendar."""
    if day is None or not SEARCH_YEARS[0] <= day.year <= SEARCH_YEARS[1]:
        return None
    if after:
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time.min))


SEARCH_YEARS = (1900, 9000)


class MemberListForm(forms.Form):
    """The member list's query string: a name prefix, an order and a page cursor.

    CharField refuses NUL characters and overlong values, so hostile input is a
    400 with the form's message, never a query.
    """

    name = forms.CharField(
        label="Name starts with", max_length=150, required=False, strip=True
    )
    sort = forms.ChoiceField(label="Sort by", required=False, choices=[])
    after = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)
    before = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, sorts: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sort"].choices = list(sorts.items())


class BookmarkForm(forms.Form):
    note = forms.CharField(
        max_length=250,
        required=False,
        strip=True,
        help_text="Only you see your bookmarks and their notes.",
    )
