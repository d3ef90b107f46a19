"""Mastodon: mentions polled through notifications, replies threaded with in_reply_to_id."""
