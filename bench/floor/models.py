"""Read-only views of the forum's own tables: the floor reads the same rows."""

from django.db import models


class Member(models.Model):
    username = models.CharField(max_length=150)
    date_joined = models.DateTimeField()
    post_count = models.PositiveIntegerField()

    class Meta:
        managed = False
        db_table = "accounts_user"

    def __str__(self) -> str:
        return self.username


class Post(models.Model):
    thread_id = models.BigIntegerField()
    author = models.ForeignKey(Member, on_delete=models.DO_NOTHING)
    position = models.PositiveIntegerField()
    body_html = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "forum_post"

    def __str__(self) -> str:
        return f"Post #{self.position}"
