from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import HashIndex
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.links import url_with_id
from accounts.skeleton import username_key


class Tier(models.Model):
    """A rung of the member ladder ("Gold Member"), earned by posts or pinned."""

    class Style(models.TextChoices):
        PLAIN = "plain", "Plain"
        BRONZE = "bronze", "Bronze"
        SILVER = "silver", "Silver"
        GOLD = "gold", "Gold"
        PLATINUM = "platinum", "Platinum"
        STAFF = "staff", "Staff"

    name = models.CharField(max_length=60, unique=True)
    min_posts = models.PositiveIntegerField(
        default=0, help_text="Members reach this tier at this many posts."
    )
    style = models.CharField(max_length=20, choices=Style.choices, default=Style.PLAIN)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "min_posts"]

    def __str__(self) -> str:
        return self.name


class MemberManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # Whoever runs createsuperuser (or ensure_admin) vouches for the address.
        extra_fields.setdefault("email_verified", True)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A member. Profile fields live on this row so an author card is one join away."""

    class ConversationPrivacy(models.TextChoices):
        MEMBERS = "members", "Any member"
        FOLLOWED = "followed", "Only members I follow"
        NOBODY = "nobody", "Nobody (staff still can)"

    class ColorMode(models.TextChoices):
        AUTO = "auto", "Follow my device"
        LIGHT = "light", "Light"
        DARK = "dark", "Dark"

    email = models.EmailField("email address", unique=True)
    email_verified = models.BooleanField(
        default=False,
        help_text="The member followed the confirmation link mailed to this address.",
    )
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    custom_title = models.CharField(max_length=60, blank=True)
    tier = models.ForeignKey(
        Tier,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Highest tier earned by post count; kept up to date when posting.",
    )
    pinned_tier = models.ForeignKey(
        Tier,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A tier granted by staff, shown instead of the earned one.",
    )
    is_moderator = models.BooleanField(
        default=False, help_text="May lock, stick, move and delete on the site itself."
    )
    post_count = models.PositiveIntegerField(default=0)
    signature = models.TextField(blank=True)
    signature_html = models.TextField(blank=True)
    about = models.TextField(blank=True)
    about_html = models.TextField(blank=True)
    location = models.CharField(max_length=100, blank=True)
    website = models.URLField(blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # Where the previous visit ended (last_seen_at before a gap of half an hour):
    # "what's new since your last visit".
    previous_visit_at = models.DateTimeField(null=True, blank=True)
    # Counters every page shows, kept on the row every request loads anyway.
    reaction_score = models.IntegerField(default=0)
    alerts_unread = models.PositiveIntegerField(default=0)
    conversations_unread = models.PositiveIntegerField(default=0)
    banned_until = models.DateTimeField(null=True, blank=True)
    is_banned = models.BooleanField(default=False)
    ban_reason = models.CharField(max_length=255, blank=True)
    # Terms and privacy (accounts/consents.py): the versions this member agreed to,
    # and whether a newer one waits for them. The flag is set in bulk when a version
    # is published, so a page view reads it from this row at no extra query.
    agreed_terms_version = models.PositiveIntegerField(default=0)
    agreed_privacy_version = models.PositiveIntegerField(default=0)
    consent_due = models.BooleanField(default=False)
    # The username's confusable skeleton, case-folded (accounts/skeleton.py): a new
    # name whose key is taken reads like a member's and is refused in one query.
    username_skeleton = models.TextField(editable=False, default="")
    # Who may start a conversation with this member (staff always may).
    conversation_privacy = models.CharField(
        max_length=10,
        choices=ConversationPrivacy.choices,
        default=ConversationPrivacy.MEMBERS,
    )
    # Members this one ignores, on the row every request loads: a thread page folds
    # their posts away without a query. Changed only by accounts.relations.
    ignored_member_ids = ArrayField(
        models.BigIntegerField(), default=list, blank=True, editable=False
    )
    # How pages show to this member: their time zone for every date ("" is the
    # site's TIME_ZONE) and the colour mode ("auto" follows the system).
    time_zone = models.CharField(max_length=64, blank=True)
    color_mode = models.CharField(
        max_length=5, choices=ColorMode.choices, default=ColorMode.AUTO
    )
    # Account deletion: asked for, the account is erased by the worker once this
    # passes (the grace period); erased, the row stays as a neutral author.
    deletion_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = MemberManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                models.functions.Lower("username"),
                name="accounts_user_username_ci_unique",
            ),
        ]
        indexes = [
            # A hash index: a key can outgrow a B-tree entry (150 Hangul syllables
            # decompose to some 3 kB), and it is only ever compared for equality.
            HashIndex(fields=["username_skeleton"], name="accounts_user_skeleton_idx"),
        ]

    def __str__(self) -> str:
        return self.username

    def get_absolute_url(self) -> str:
        return url_with_id("member_detail", self.pk)

    def save(self, *args, **kwargs) -> None:
        # Every way a name is written (registration, the admin, createsuperuser)
        # saves the row, so the key follows the name here.
        self.username_skeleton = username_key(self.username)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "username" in update_fields:
            kwargs["update_fields"] = {*update_fields, "username_skeleton"}
        super().save(*args, **kwargs)

    @property
    def title(self) -> str:
        """The title on an author card: custom, else pinned tier, else earned tier."""
        if self.custom_title:
            return self.custom_title
        shown = self.shown_tier
        return shown.name if shown else ""

    @property
    def shown_tier(self) -> Tier | None:
        return self.pinned_tier or self.tier

    @property
    def initials(self) -> str:
        return self.username[:2].upper()

    @property
    def last_seen(self) -> datetime | None:
        """The later of the last recorded visit and the last login."""
        seen = [t for t in (self.last_seen_at, self.last_login) if t is not None]
        return max(seen, default=None)

    @property
    def needs_email_verification(self) -> bool:
        """Unconfirmed, where the site asks members to confirm before posting."""
        return settings.ACCOUNTS_REQUIRE_VERIFIED_EMAIL and not self.email_verified

    @property
    def is_currently_banned(self) -> bool:
        """Banned, and the ban has no end or ends in the future."""
        if not self.is_banned:
            return False
        return self.banned_until is None or self.banned_until > timezone.now()


class Follow(models.Model):
    """A member following another; "people they follow" may start conversations."""

    follower = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="following"
    )
    followed = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="followers"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["follower", "followed"], name="accounts_follow_once"
            ),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("followed")),
                name="accounts_follow_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} follows {self.followed_id}"


class LegalDocument(models.Model):
    """One version of the terms or the privacy policy; the latest published counts.

    A published version is never edited: a change is a new version, which members
    are asked to agree to on their next visit.
    """

    class Kind(models.TextChoices):
        TERMS = "terms", "Terms and rules"
        PRIVACY = "privacy", "Privacy policy"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    version = models.PositiveIntegerField(editable=False)
    title = models.CharField(max_length=150)
    body = models.TextField(help_text="BBCode, as in posts.")
    body_html = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "version"], name="accounts_legaldocument_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"

    def get_absolute_url(self) -> str:
        if self.kind == self.Kind.TERMS:
            return reverse("accounts:terms")
        return reverse("accounts:privacy_policy")


class Agreement(models.Model):
    """A member agreed to one version of a legal document, at this time."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="agreements")
    document = models.ForeignKey(
        LegalDocument, on_delete=models.PROTECT, related_name="agreements"
    )
    agreed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-agreed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "document"], name="accounts_agreement_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} agreed to {self.document_id}"
