"""Views, split by audience: reading, posting, moderation, member profiles."""
