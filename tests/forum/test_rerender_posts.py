"""``manage.py rerender_posts``: stored HTML follows today's renderer."""

from django.core.management import call_command

from accounts.mentions import members_in_database
from forum.models import Post
from markup import render
from tests.factories import make_member, make_posts

REL = 'rel="nofollow ugc noopener"'


def test_rerender_posts_rewrites_stale_html_in_batches(db, thread):
    posts = make_posts(thread, count=5)
    Post.objects.filter(pk=posts[0].pk).update(body="[b]now bold[/b] @alice")
    Post.objects.update(body_html="stale")
    writer = make_member("writer", signature="[i]sig[/i]", about="[b]about[/b]")
    quiet = make_member("quiet", signature_html="<p>left over</p>")

    call_command("rerender_posts", batch_size=2, verbosity=0)

    for post in Post.objects.all():
        assert post.body_html == render(post.body, known_members=members_in_database)
    assert Post.objects.get(pk=posts[0].pk).body_html == (
        '<p><b>now bold</b> <a href="/members/alice/" class="bbmention" '
        f"{REL}>@alice</a></p>"
    )
    writer.refresh_from_db()
    quiet.refresh_from_db()
    assert writer.signature_html == "<p><i>sig</i></p>"
    assert writer.about_html == "<p><b>about</b></p>"
    assert quiet.signature_html == ""


def test_rerender_posts_reports_what_it_changed(db, thread, capsys):
    make_posts(thread, count=3)
    Post.objects.filter(position=2).update(body_html="stale")

    call_command("rerender_posts")

    captured = capsys.readouterr()
    assert "Re-rendered 4 posts (1 changed) and 0 members (0 changed)." in captured.out
    assert "Posts: 100%" in captured.err
