"""BBCode quotes of existing posts, for reply-with-quote and multi-quote."""

from __future__ import annotations

import re
from collections.abc import Iterable

from forum.models import Post

_POST_ID = re.compile(r"[0-9]{1,18}")
_QUOTE_TAG = re.compile(r"\[(/?)quote(?:=[^\]\n]*)?\]", re.IGNORECASE)


def strip_quotes(source: str) -> str:
    """Drop quoted blocks, however nested: a reply quotes only the post's own words."""
    kept: list[str] = []
    depth = 0
    cursor = 0
    for match in _QUOTE_TAG.finditer(source):
        closing = match.group(1) == "/"
        if depth == 0:
            kept.append(source[cursor : match.start()])
        if not closing:
            depth += 1
        elif depth > 0:
            depth -= 1
        else:
            kept.append(match.group(0))  # a stray closing tag stays literal text
        cursor = match.end()
    if depth == 0:
        kept.append(source[cursor:])
    text = "".join(kept)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def quote_post(post: Post) -> str:
    """A XenForo-style quote block attributing the post to its author."""
    return (
        f'[QUOTE="{post.author.username}, post: {post.pk}, member: {post.author_id}"]\n'
        f"{strip_quotes(post.body)}\n[/QUOTE]\n"
    )


def quote_posts(posts: Iterable[Post]) -> str:
    return "\n".join(quote_post(post) for post in posts)


def parse_ids(values: list[str], limit: int = 20) -> list[int]:
    """Post ids from ``?quote=`` parameters; anything malformed is ignored."""
    ids: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
            if _POST_ID.fullmatch(part) and int(part) not in ids:
                ids.append(int(part))
    return ids[:limit]
