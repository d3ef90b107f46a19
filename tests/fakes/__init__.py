"""Faithful local stand-ins for the platforms the channels talk to (no internet here)."""
