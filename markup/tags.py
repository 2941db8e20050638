"""The parsed tree to HTML, one method per tag. The result still goes through bleach.

The tree is at most ``parser.MAX_DEPTH`` deep, so walking it recursively is safe.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from markup import values
from markup.parser import Node
from markup.text import Mention, add_text, attr, escape, link

QUOTE_DEPTH = 3
FOLD_LINES = 8
FOLD_CHARACTERS = 600
FOLD_SUMMARY = "Click to expand…"

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_LEADING_BREAK = re.compile(r"^[ \t]*\n")
_TRAILING_BREAK = re.compile(r"\n[ \t]*$")
# Inside these, text is shown as typed: no links, no mentions.
_NO_LINKS = frozenset({"url", "email"})


def _is_block(child: str | Node) -> bool:
    return not isinstance(child, str) and (child.is_block or child.has_block)


def image_url(src: str) -> str | None:
    """Where a page loads the [IMG] picture at ``src`` from.

    The project names a function in the ``MARKUP_IMAGE_URL`` setting (its image
    proxy's signed address, or ``None`` for a plain link); without one the picture
    is loaded from ``src`` itself. A setting, not an import, keeps the renderer free
    of the apps.
    """
    hook = getattr(settings, "MARKUP_IMAGE_URL", None)
    return import_string(hook)(src) if hook else src


def url_for(name: str, arg: int | str) -> str | None:
    try:
        return reverse(name, args=[arg])
    except NoReverseMatch:
        return None


class HtmlWriter:
    """Collects HTML pieces; @mentions stay ``Mention`` objects until looked up."""

    def __init__(self) -> None:
        self.out: list[str | Mention] = []

    # Containers -----------------------------------------------------------------

    def document(self, root: Node) -> None:
        """Top level: text between blocks is split into <p> paragraphs."""
        paragraph: list[str | Node] = []
        for child in root.children:
            if _is_block(child):
                self._paragraph(paragraph)
                paragraph = []
                self.node(child, linkify=True, quote_depth=0)
            elif isinstance(child, str):
                first, *rest = _PARAGRAPH_BREAK.split(child)
                paragraph.append(first)
                for piece in rest:
                    self._paragraph(paragraph)
                    paragraph = [piece]
            else:
                paragraph.append(child)
        self._paragraph(paragraph)

    def _paragraph(self, items: list[str | Node]) -> None:
        items = [item for item in items if item != ""]
        if items and isinstance(items[0], str):
            items[0] = items[0].lstrip()
        if items and isinstance(items[-1], str):
            items[-1] = items[-1].rstrip()
        items = [item for item in items if item != ""]
        if not items:
            return
        self.out.append("<p>")
        self.flow(items, linkify=True, quote_depth=0)
        self.out.append("</p>")

    def flow(
        self,
        children: list[str | Node],
        *,
        linkify: bool,
        quote_depth: int,
        strip: bool = False,
    ) -> None:
        """Children in a row: text keeps its line breaks, except one next to a block."""
        last = len(children) - 1
        for index, child in enumerate(children):
            if not isinstance(child, str):
                self.node(child, linkify=linkify, quote_depth=quote_depth)
                continue
            if strip and index == 0:
                child = child.lstrip()
            elif index > 0 and _is_block(children[index - 1]):
                child = _LEADING_BREAK.sub("", child, count=1)
            if strip and index == last:
                child = child.rstrip()
            elif index < last and _is_block(children[index + 1]):
                child = _TRAILING_BREAK.sub("", child, count=1)
            if child:
                add_text(self.out, child, linkify=linkify)

    def literal(self, node: Node, *, linkify: bool, quote_depth: int) -> None:
        """A tag that cannot be rendered: its own text stays, its contents render."""
        self.out.append(escape(node.open_text))
        self.flow(node.children, linkify=linkify, quote_depth=quote_depth)
        self.out.append(escape(node.close_text))

    def node(self, node: Node, *, linkify: bool, quote_depth: int) -> None:
        render = getattr(self, f"tag_{node.name}", None) if node.name != "*" else None
        if render is None or render(node, linkify, quote_depth) is False:
            self.literal(node, linkify=linkify, quote_depth=quote_depth)

    def _wrap(
        self,
        before: str,
        node: Node,
        after: str,
        linkify: bool,
        depth: int,
        *,
        block: bool = False,
    ) -> None:
        self.out.append(before)
        self.flow(node.children, linkify=linkify, quote_depth=depth, strip=block)
        self.out.append(after)

    # Inline tags ----------------------------------------------------------------

    def tag_b(self, node: Node, linkify: bool, depth: int) -> None:
        self._wrap("<b>", node, "</b>", linkify, depth)

    def tag_i(self, node: Node, linkify: bool, depth: int) -> None:
        self._wrap("<i>", node, "</i>", linkify, depth)

    def tag_u(self, node: Node, linkify: bool, depth: int) -> None:
        self._wrap("<u>", node, "</u>", linkify, depth)

    def tag_s(self, node: Node, linkify: bool, depth: int) -> None:
        self._wrap("<s>", node, "</s>", linkify, depth)

    def tag_color(self, node: Node, linkify: bool, depth: int) -> bool | None:
        value = values.colour(node.option)
        if value is None:
            return False
        self._wrap(f'<span style="color: {value}">', node, "</span>", linkify, depth)
        return None

    def tag_size(self, node: Node, linkify: bool, depth: int) -> bool | None:
        value = values.font_size(node.option)
        if value is None:
            return False
        self._wrap(
            f'<span style="font-size: {value}">', node, "</span>", linkify, depth
        )
        return None

    def tag_icode(self, node: Node, linkify: bool, depth: int) -> None:
        self.out.append(f'<code class="bbicode">{escape(node.inner)}</code>')

    def tag_url(self, node: Node, linkify: bool, depth: int) -> bool | None:
        if node.option is None:
            href = values.link_target(node.inner)
            content = escape(node.inner.strip())
        else:
            href = values.link_target(node.option)
            content = None
        if href is None:
            return False
        if not linkify:  # already inside a link: links do not nest
            self.flow(node.children, linkify=False, quote_depth=depth)
            return None
        self._link(href, node, content, depth)
        return None

    def tag_email(self, node: Node, linkify: bool, depth: int) -> bool | None:
        address = values.email_address(node.option or node.inner)
        if address is None:
            return False
        if not linkify:
            self.flow(node.children, linkify=False, quote_depth=depth)
            return None
        content = escape(node.inner.strip()) if node.option is None else None
        self._link("mailto:" + address, node, content, depth)
        return None

    def _link(self, href: str, node: Node, content: str | None, depth: int) -> None:
        if content is None:
            start = len(self.out)
            self.flow(node.children, linkify=False, quote_depth=depth)
            inner = self.out[start:]
            del self.out[start:]
            content = "".join(
                piece.text if isinstance(piece, Mention) else piece for piece in inner
            )
        self.out.append(link(href, content or escape(href), "bblink"))

    def tag_img(self, node: Node, linkify: bool, depth: int) -> bool | None:
        src = values.web_url(node.inner, allow_bare_domain=False)
        if src is None:
            return False
        shown = image_url(src)
        if shown is None:
            # No address to show it from (the proxy is off): a link to the picture,
            # or its address as text inside a link already.
            self.out.append(
                link(src, escape(src), "bblink") if linkify else escape(src)
            )
            return None
        self.out.append(
            f'<img src="{attr(shown)}" alt="" loading="lazy" class="bbimage">'
        )
        return None

    # Blocks ---------------------------------------------------------------------

    def tag_code(self, node: Node, linkify: bool, depth: int) -> None:
        language = values.code_language(node.option)
        title = f"Code: {language}" if language else "Code:"
        code_class = f' class="language-{language}"' if language else ""
        source = node.inner.lstrip("\n").rstrip()
        self.out.append(
            f'<div class="bbcode-block"><div class="bbcode-title">{escape(title)}</div>'
            f'<pre class="bbcode"><code{code_class}>{escape(source)}</code></pre></div>'
        )

    def tag_center(self, node: Node, linkify: bool, depth: int) -> None:
        self._wrap('<div class="bbcenter">', node, "</div>", linkify, depth, block=True)

    def tag_indent(self, node: Node, linkify: bool, depth: int) -> bool | None:
        level = values.indent_level(node.option)
        if level is None:
            return False
        extra = f" bbindent-{level}" if level > 1 else ""
        self._wrap(
            f'<div class="bbindent{extra}">', node, "</div>", linkify, depth, block=True
        )
        return None

    def tag_spoiler(self, node: Node, linkify: bool, depth: int) -> None:
        title = f"Spoiler: {node.option}" if node.option else "Spoiler"
        self._wrap(
            f'<details class="bbspoiler"><summary>{escape(title)}</summary>'
            '<div class="bbspoiler-body">',
            node,
            "</div></details>",
            linkify,
            depth,
            block=True,
        )

    def tag_list(self, node: Node, linkify: bool, depth: int) -> None:
        kind = values.list_type(node.option)
        self.out.append(
            f'<ol class="bblist" type="{kind}">' if kind else '<ul class="bblist">'
        )
        stray: list[str | Node] = []
        for child in [*node.children, None]:
            if child is None or (not isinstance(child, str) and child.name == "*"):
                if any(not isinstance(item, str) or item.strip() for item in stray):
                    self._item(stray, linkify, depth)
                stray = []
                if child is not None:
                    self._item(child.children, linkify, depth)
            else:
                stray.append(child)
        self.out.append("</ol>" if kind else "</ul>")

    def _item(self, children: list[str | Node], linkify: bool, depth: int) -> None:
        self.out.append("<li>")
        self.flow(children, linkify=linkify, quote_depth=depth, strip=True)
        self.out.append("</li>")

    def tag_quote(self, node: Node, linkify: bool, depth: int) -> None:
        name, post_id, member_id = values.quote_source(node.option)
        post_url = url_for("forum:post_detail", post_id) if post_id else None
        if depth >= QUOTE_DEPTH:
            self._collapsed_quote(name, post_url)
            return
        data = f' data-post="{post_id}"' if post_id else ""
        data += f' data-member="{member_id}"' if member_id else ""
        self.out.append(f'<blockquote class="bbquote"{data}>')
        if name:
            jump = ""
            if post_url:
                jump = " " + link(
                    post_url,
                    '<span aria-hidden="true">↑</span>'
                    '<span class="visually-hidden">Go to the quoted post</span>',
                    "bbquote-jump",
                )
            # Isolated: a name written right to left (or holding an RLO) must not
            # carry "said:" to its other side.
            self.out.append(
                f'<div class="bbquote-header"><bdi>{escape(name)}</bdi> said:'
                f"{jump}</div>"
            )
        folded = node.lines > FOLD_LINES or node.length > FOLD_CHARACTERS
        if folded:
            self.out.append(
                f'<details class="bbquote-fold"><summary>{FOLD_SUMMARY}</summary>'
            )
        self._wrap(
            '<div class="bbquote-body">', node, "</div>", linkify, depth + 1, block=True
        )
        self.out.append("</details></blockquote>" if folded else "</blockquote>")

    def _collapsed_quote(self, name: str, post_url: str | None) -> None:
        label = f"[quote: <bdi>{escape(name)}</bdi>]" if name else "[quote]"
        if post_url:
            label = link(post_url, label, "bblink")
        self.out.append(f'<div class="bbquote-collapsed">{label}</div>')
