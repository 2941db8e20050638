from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.core import signing
from django.core.validators import URLValidator
from django.db import transaction
from django.urls import reverse
from django.utils.safestring import mark_safe

import markup
from accounts import consents, timezones
from accounts.avatars import ACCEPTED_TEXT, MAX_BYTES, AvatarError, process_avatar
from accounts.models import User
from accounts.services import register_member
from accounts.validators import validate_signature_images, validate_username

SIGNATURE_MAX_CHARS = 500
SIGNATURE_MAX_LINES = 5
ABOUT_MAX_CHARS = 5000


FILL_TIME_SALT = "accounts.registration-form"
# A token older than this is refused too, so one fetched form cannot sign up for ever.
FILL_TIME_MAX_AGE = 24 * 3600


def fill_time_token() -> str:
    """A signed "the form was shown now", carried in the registration form."""
    return signing.TimestampSigner(salt=FILL_TIME_SALT).sign("registration")


class RegistrationForm(UserCreationForm):
    email = forms.EmailField(
        help_text="Used for password resets; never shown to other members."
    )
    # Spam traps. A field people never see (the template hides it; screen readers
    # read its label), which form-filling robots fill in; and the time the form was
    # shown, since a robot sends it back faster than anyone can type.
    homepage_url = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    shown_at = forms.CharField(required=False, widget=forms.HiddenInput)
    # Filled by static/js/times.js with the browser's zone; empty without it.
    time_zone = forms.CharField(
        required=False,
        widget=forms.HiddenInput(attrs={"data-browser-time-zone": ""}),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["shown_at"] = fill_time_token()
        # With terms or a privacy policy published, joining means agreeing to the
        # versions this form shows (nothing is asked while none is published).
        self.legal_versions = consents.shown_versions(
            list(consents.current_documents().values())
        )
        if self.legal_versions:
            self.fields["agree"] = forms.BooleanField(
                label=mark_safe(  # noqa: S308 (our own fixed text and URLs)
                    'I agree to the <a href="{}" target="_blank">terms and rules</a> '
                    'and the <a href="{}" target="_blank">privacy policy</a>.'.format(
                        reverse("accounts:terms"), reverse("accounts:privacy_policy")
                    )
                ),
                error_messages={
                    "required": "To join, agree to the terms and the privacy policy."
                },
            )
            self.fields["legal_versions"] = forms.CharField(
                required=False, widget=forms.HiddenInput
            )
            self.initial["legal_versions"] = self.legal_versions

    def clean_homepage_url(self) -> str:
        if self.cleaned_data["homepage_url"]:
            raise forms.ValidationError(
                "This field must stay empty: it is there to catch automated sign-ups."
            )
        return ""

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.legal_versions:
            self._check_legal_versions()
        minimum = settings.ACCOUNTS_REGISTRATION_MIN_SECONDS
        if minimum <= 0:
            return cleaned
        signer = signing.TimestampSigner(salt=FILL_TIME_SALT)
        token = self.data.get(self.add_prefix("shown_at"), "")
        try:
            signer.unsign(token, max_age=FILL_TIME_MAX_AGE)
        except signing.BadSignature:  # missing, forged, or open for a day
            self._renew_fill_time()
            raise forms.ValidationError(
                "This form could not be checked, or was open too long. "
                "Please send it again."
            ) from None
        try:
            signer.unsign(token, max_age=minimum)
        except signing.SignatureExpired:
            return cleaned  # shown longer ago than the minimum: a person's pace
        raise forms.ValidationError(
            "That was faster than a person fills in this form. Check what you "
            f"typed and send it again in {minimum} seconds."
        )

    def _renew_fill_time(self) -> None:
        # The page shown with the error must carry a token that can pass.
        self.data = self.data.copy()
        self.data[self.add_prefix("shown_at")] = fill_time_token()

    def clean_time_zone(self) -> str:
        # Nobody typed it, so a name this server does not know is no error to
        # show: the member gets the site's zone and can pick one in their profile.
        name = self.cleaned_data["time_zone"].strip()
        return name if timezones.is_valid_zone(name) else ""

    def clean_username(self) -> str:
        username = super().clean_username()  # None once it has reported a clash
        if username:
            validate_username(username)
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email address already exists."
            )
        return email

    def _check_legal_versions(self) -> None:
        if self.data.get(self.add_prefix("legal_versions")) == self.legal_versions:
            return
        # Published while the form was open: show the new links and ask again.
        self.data = self.data.copy()
        self.data[self.add_prefix("legal_versions")] = self.legal_versions
        self.data.pop(self.add_prefix("agree"), None)
        self.add_error(
            None,
            "The terms or the privacy policy changed while you were filling in "
            "this form: read the current version and agree again.",
        )

    @transaction.atomic
    def save(self, commit: bool = True) -> User:
        user = register_member(
            username=self.cleaned_data["username"],
            email=self.cleaned_data["email"],
            password=self.cleaned_data["password1"],
            time_zone=self.cleaned_data.get("time_zone", ""),
        )
        if self.legal_versions:
            consents.record_agreement(user=user, versions=self.legal_versions)
        return user


class AgreeForm(forms.Form):
    """Agreeing to the current terms and privacy policy on the agree page."""

    agree = forms.BooleanField(
        label="I have read these and agree to them.",
        error_messages={"required": "Tick the box to agree, or log out."},
    )
    versions = forms.CharField(widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class ProfileForm(forms.Form):
    avatar = forms.FileField(
        required=False,
        help_text=(
            f"{ACCEPTED_TEXT}, at most {MAX_BYTES // 1024 // 1024} MB; "
            "it is cropped to a square."
        ),
        widget=forms.FileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}
        ),
    )
    remove_avatar = forms.BooleanField(
        required=False, label="Remove my avatar (show my initials instead)"
    )
    location = forms.CharField(max_length=100, required=False)
    website = forms.URLField(
        required=False,
        max_length=200,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Shown on your profile as a link.",
    )
    about = forms.CharField(
        required=False,
        max_length=ABOUT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        label="About you",
    )
    signature = forms.CharField(
        required=False,
        max_length=SIGNATURE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            f"Shown under your posts: at most {SIGNATURE_MAX_CHARS} characters, "
            f"{SIGNATURE_MAX_LINES} lines and "
            f"{settings.FORUM_SIGNATURE_MAX_IMAGES} image(s)."
        ),
    )

    time_zone = forms.ChoiceField(
        required=False,
        choices=lambda: [
            ("", f"The forum's time ({settings.TIME_ZONE})"),
            *((name, name.replace("_", " ")) for name in timezones.zone_names()),
        ],
        error_messages={"invalid_choice": "Choose a time zone from the list."},
        help_text="Every date and time on the forum is shown in this zone.",
    )

    def clean_avatar(self):
        upload = self.cleaned_data.get("avatar")
        if not upload:
            return None
        try:
            return process_avatar(upload)
        except AvatarError as error:
            raise forms.ValidationError(str(error)) from error

    def clean_signature(self) -> str:
        signature = markup.clean_text(self.cleaned_data["signature"])
        lines = signature.count("\n") + 1 if signature else 0
        if lines > SIGNATURE_MAX_LINES:
            raise forms.ValidationError(
                f"Signatures may have at most {SIGNATURE_MAX_LINES} lines; "
                f"this one has {lines}."
            )
        validate_signature_images(signature)
        return _within_markup_limits(signature)

    def clean_about(self) -> str:
        return _within_markup_limits(markup.clean_text(self.cleaned_data["about"]))


def _within_markup_limits(text: str) -> str:
    """Profile texts use the post renderer, so they obey its limits too."""
    if found := markup.problems(text):
        raise forms.ValidationError(found)
    return text


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label="New email address")
    password = forms.CharField(
        label="Your current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="To make sure it is you changing where password resets go.",
    )

    def __init__(self, *args, member: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.member = member

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email.lower() == self.member.email.lower():
            raise forms.ValidationError("That is already your email address.")
        taken = User.objects.filter(email__iexact=email).exclude(pk=self.member.pk)
        if taken.exists():
            raise forms.ValidationError(
                "An account with this email address already exists."
            )
        return email

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.member.check_password(password):
            raise forms.ValidationError("That is not your current password.")
        return password


class ConversationPrivacyForm(forms.Form):
    conversation_privacy = forms.ChoiceField(
        label="Who may start a conversation with you",
        choices=User.ConversationPrivacy.choices,
        widget=forms.RadioSelect,
        help_text="Staff and moderators can always write to you.",
    )
