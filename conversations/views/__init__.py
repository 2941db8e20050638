"""Conversation pages: members' own (members.py) and moderators' (moderation.py)."""
