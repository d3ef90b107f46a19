"""Sotong (소통): hear every citizen on every channel, answer on that channel, on time, in public."""

__version__ = "0.1.0"
