"""Podcasting 2.0 guids: the feed's (UUIDv5 of its URL, as the namespace specifies) and each episode's."""

from __future__ import annotations

import re
import uuid

PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

__all__ = ["PODCAST_GUID_NAMESPACE", "episode_guid", "podcast_guid"]


def podcast_guid(feed_url: str) -> str:
    """podcast:guid: a UUIDv5 of the feed URL without its scheme and trailing slashes."""
    bare = re.sub(r"^[a-zA-Z]+://", "", feed_url).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def episode_guid(feed_url: str, slug: str) -> str:
    return str(uuid.uuid5(uuid.UUID(podcast_guid(feed_url)), slug))
