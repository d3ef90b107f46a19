"""Sotong (소통): hear every citizen on every channel, answer on that channel, on time, in public."""

from importlib.metadata import PackageNotFoundError, version

try:
    # The installed package's own metadata (pyproject.toml's version at install time): one source of truth.
    __version__ = version("sotong")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
