"""Channels: one folder per platform, each with a connector (channels/base.py) listed in channels/registry.py;
the webhook handling, polling and intake every channel shares."""
