"""BBCode source to a tree of tags and text: a tokenizer and a stack, no recursion.

Rules: tag names are case-insensitive; a tag that is never closed, or closed out of
order, stays literal text; [CODE], [ICODE], [IMG] and option-less [URL]/[EMAIL] hold
their contents verbatim; [*] only opens a list item directly inside a [LIST]; tags
nested deeper than ``MAX_DEPTH`` stay literal, so the tree is always shallow enough
to walk recursively.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

MAX_DEPTH = 30

TAG_NAMES = (
    "b",
    "i",
    "u",
    "s",
    "url",
    "email",
    "img",
    "quote",
    "code",
    "icode",
    "list",
    "*",
    "spoiler",
    "color",
    "size",
    "center",
    "indent",
)
BLOCK_TAGS = frozenset({"quote", "code", "list", "spoiler", "center", "indent"})
# Tags whose contents are never parsed for more tags.
_RAW_TAGS = frozenset({"code", "icode", "img"})
_RAW_WITHOUT_OPTION = frozenset({"url", "email"})

_NAME_PATTERN = "|".join(
    re.escape(name) for name in sorted(TAG_NAMES, key=len, reverse=True)
)
# Options are bounded and an unquoted one stops at "[", so a scan never runs far
# past its start: tokenizing stays linear even on hostile input.
_TAG_RE = re.compile(
    r"\[(/?)(" + _NAME_PATTERN + r")"
    r"(?:=(\"[^\"\n]{0,500}\"|'[^'\n]{0,500}'|[^\[\]\n]{0,500}))?\]",
    re.IGNORECASE,
)
_RAW_CLOSE_RE = re.compile(r"\[/(code|icode|img|url|email)\]", re.IGNORECASE)


@dataclass(eq=False, slots=True)
class Node:
    """A tag with its children (``str`` or ``Node``); the root has no name."""

    name: str | None
    option: str | None = None
    open_text: str = ""
    close_text: str = ""
    children: list[str | Node] = field(default_factory=list)
    # The verbatim contents of a raw tag ([CODE], [IMG], …); empty for the others.
    inner: str = ""
    # Where the contents start in the source, then their size once the tag closes,
    # trimmed of surrounding whitespace (how long quotes are found without copying).
    start: int = 0
    lines: int = 0
    length: int = 0
    has_block: bool = False

    @property
    def is_block(self) -> bool:
        return self.name in BLOCK_TAGS


@dataclass(slots=True)
class Stats:
    """What the parser saw, for ``problems()``: counts no renderer trims away."""

    max_quote_depth: int = 0
    images: int = 0
    too_deep: bool = False
    # Tags read, open tags looked at to close one and children moved out of unclosed
    # ones: the parser's work, which tests bound by the number of tags.
    steps: int = 0


def _unquote(option: str | None) -> str | None:
    if option is None:
        return None
    option = option.strip()
    if len(option) >= 2 and option[0] == option[-1] and option[0] in "\"'":
        return option[1:-1].strip()
    return option


class _RawCloser:
    """Finds the first closing tag of a raw tag after a position, in log time."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._positions: dict[str, list[tuple[int, int]]] | None = None

    def after(self, name: str, pos: int) -> tuple[int, int] | None:
        if self._positions is None:
            self._positions = {}
            for match in _RAW_CLOSE_RE.finditer(self._source):
                key = match.group(1).lower()
                self._positions.setdefault(key, []).append(match.span())
        spans = self._positions.get(name, [])
        index = bisect.bisect_left(spans, (pos, pos))
        return spans[index] if index < len(spans) else None


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source
        self.root = Node(None)
        self.stack: list[Node] = [self.root]
        self.stats = Stats()
        # Opening tags turned literal for depth: their closing tags must stay
        # literal too instead of closing an outer tag of the same name.
        self.deep_opens: dict[str, int] = {}
        self.closers = _RawCloser(source)
        self.open_quotes = 0

    @property
    def top(self) -> Node:
        return self.stack[-1]

    def text(self, text: str) -> None:
        # Pieces are joined when the tag closes: adding to one growing string
        # would be quadratic on 100,000 literal tags.
        self.top.children.append(text)

    def open(self, name: str, option: str | None, raw: str, end: int) -> None:
        if name == "quote":
            depth = self.open_quotes + self.deep_opens.get("quote", 0) + 1
            self.stats.max_quote_depth = max(self.stats.max_quote_depth, depth)
        if len(self.stack) > MAX_DEPTH:
            self.stats.too_deep = True
            self.deep_opens[name] = self.deep_opens.get(name, 0) + 1
            self.text(raw)
            return
        node = Node(name, _unquote(option), open_text=raw, start=end)
        self.top.children.append(node)
        self.stack.append(node)
        self.open_quotes += name == "quote"

    def close(self, name: str, raw: str, start: int) -> None:
        if self.deep_opens.get(name):
            self.deep_opens[name] -= 1
            self.text(raw)
            return
        for index in range(len(self.stack) - 1, 0, -1):
            self.stats.steps += 1
            if self.stack[index].name == name:
                break
        else:
            self.text(raw)
            return
        while len(self.stack) - 1 > index:
            if self.top.name == "*":
                self.finish("", start)
            else:
                self.unwrap()
        self.finish(raw, start)

    def finish(self, raw: str, end: int) -> None:
        """Close the innermost open tag; its contents end at ``end``."""
        node = self.stack.pop()
        self.open_quotes -= node.name == "quote"
        node.children = _joined(node.children)
        node.close_text = raw
        source, start = self.source, node.start
        while start < end and source[start].isspace():
            start += 1
        while end > start and source[end - 1].isspace():
            end -= 1
        node.lines = source.count("\n", start, end) + (end > start)
        node.length = end - start
        self.top.has_block = self.top.has_block or node.has_block or node.is_block

    def unwrap(self) -> None:
        """Turn the innermost open tag into literal text around its children."""
        node = self.stack.pop()
        self.open_quotes -= node.name == "quote"
        parent = self.top
        parent.children.pop()  # an open tag is always its parent's last child
        parent.children.append(node.open_text)
        parent.children.extend(node.children)
        self.stats.steps += len(node.children)
        parent.has_block = parent.has_block or node.has_block

    def raw_tag(self, name: str, option: str | None, raw: str, span: tuple) -> int:
        """Add a tag whose contents are verbatim; return where parsing resumes."""
        closer = self.closers.after(name, span[1])
        if closer is None or len(self.stack) > MAX_DEPTH:
            self.text(raw)
            return span[1]
        inner = self.source[span[1] : closer[0]]
        node = Node(
            name,
            _unquote(option),
            open_text=raw,
            close_text=self.source[closer[0] : closer[1]],
            children=[inner] if inner else [],
            inner=inner,
        )
        self.top.children.append(node)
        if name == "img":
            self.stats.images += 1
        self.top.has_block = self.top.has_block or node.is_block
        return closer[1]

    def list_item(self, raw: str, end: int) -> None:
        if self.top.name == "*" and self.stack[-2].name == "list":
            self.finish("", end - len(raw))
        if self.top.name == "list":
            self.open("*", None, raw, end)
        else:
            self.text(raw)


def parse(source: str) -> tuple[Node, Stats]:
    """Parse BBCode into a tree; anything that is not a well-formed tag is text."""
    builder = _Builder(source)
    pos = 0
    while True:
        match = _TAG_RE.search(source, pos)
        if match is None:
            break
        builder.stats.steps += 1
        if match.start() > pos:
            builder.text(source[pos : match.start()])
        raw = match.group(0)
        closing, name, option = match.group(1), match.group(2).lower(), match.group(3)
        pos = match.end()
        if closing:
            if option is None:
                builder.close(name, raw, match.start())
            else:
                builder.text(raw)
        elif name == "*":
            builder.list_item(raw, match.end())
        elif name in _RAW_TAGS or (name in _RAW_WITHOUT_OPTION and option is None):
            pos = builder.raw_tag(name, option, raw, match.span())
        else:
            builder.open(name, option, raw, match.end())
    if pos < len(source):
        builder.text(source[pos:])
    while len(builder.stack) > 1:
        if builder.top.name == "*":
            builder.finish("", len(source))
        else:
            builder.unwrap()
    builder.root.children = _joined(builder.root.children)
    return builder.root, builder.stats


def _joined(children: list[str | Node]) -> list[str | Node]:
    """Children with each run of adjacent text pieces joined into one string."""
    joined: list[str | Node] = []
    run: list[str] = []
    for child in children:
        if isinstance(child, str):
            run.append(child)
            continue
        if run:
            joined.append("".join(run))
            run = []
        joined.append(child)
    if run:
        joined.append("".join(run))
    return joined
