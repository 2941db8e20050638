"""What post HTML may contain once sanitised. Everything else is stripped or escaped."""

TAGS = frozenset({"a", "br", "p"})
ATTRIBUTES = {"a": ["href", "rel", "title"]}
PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
