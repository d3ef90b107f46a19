"""Secrets encrypted at rest: channel account credentials in ``ChannelAccount.config``, webhook secrets.

A secret is stored as the string ``enc:v1:<Fernet token>`` in place of its value; every other key (base URLs,
page ids, poll cursors) stays readable so SQL can still look at cursors and staff can see what is set up.

- Which keys are secret is decided by their name (`is_secret`): connectors name them ``*_token``,
  ``*_secret``, ``*_password``, ``*_key`` (plus ``password``, ``token``, ``secret``, ``authorization``).
- Every write of a ChannelAccount goes through `seal` (a mapper event beside the model, orgs/models.py, so the
  CLI, the admin page, the demo and the tests alike never leave a plaintext secret in a row); values already
  sealed are left alone.
- Only connectors call `open_config`, right before they talk to the platform. Pages, the API and the CLI
  show `masked` configs: a secret appears as "••••" (set) and never as its value, not even encrypted.
- Keys: ``SOTONG_CREDENTIALS_KEY`` is a comma-separated list of Fernet keys, newest first. The first
  encrypts; all decrypt. To rotate: put a new key in front, run ``sotong channels rotate-credentials``
  (re-encrypts every secret with the new key: channels/accounts.py `rotate_credentials`), then drop the old
  key. Unset, one key is derived from ``SOTONG_SECRET_KEY`` (changing that secret then needs the old one kept
  in SOTONG_CREDENTIALS_KEY).
- Configs written before encryption existed are read as they are (a plaintext value is its own value) and
  sealed on their next write, or all at once by ``rotate-credentials``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from sotong.settings import Settings, get_settings

PREFIX = "enc:v1:"
MASK = "••••"

_SECRET_NAME = re.compile(r"(^|_)(token|secret|password|passwd|key|authorization|credentials?)$")
# Names that end like a secret but are cursors or public ids the pollers write back.
_NOT_SECRET = frozenset({"since_id", "next_token", "pagination_token", "public_key", "media_key"})


class CredentialsError(Exception):
    """A sealed secret none of the configured keys opens (a key was dropped too early, or the row was edited)."""


def is_secret(name: str) -> bool:
    """True for config keys that hold credentials (tokens, app secrets, passwords, API keys)."""
    return name.lower() not in _NOT_SECRET and bool(_SECRET_NAME.search(name.lower()))


def _derived_key(secret_key: str) -> bytes:
    # A separate key for credentials: the session-signing secret itself never encrypts anything.
    digest = hashlib.sha256(b"sotong-channel-credentials\x00" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def cipher(settings: Settings | None = None) -> MultiFernet:
    """The configured keys, newest first (the first encrypts; every one decrypts)."""
    settings = settings or get_settings()
    if settings.credentials_key:
        keys = [Fernet(k.strip()) for k in settings.credentials_key.split(",") if k.strip()]
    else:
        keys = [Fernet(_derived_key(settings.secret_key))]
    return MultiFernet(keys)


def is_sealed(value: Any) -> bool:
    """True for a value already encrypted by `seal`."""
    return isinstance(value, str) and value.startswith(PREFIX)


def seal_value(value: str, settings: Settings | None = None) -> str:
    """One secret, encrypted with the newest key."""
    return PREFIX + cipher(settings).encrypt(value.encode()).decode()


def open_value(value: Any, settings: Settings | None = None) -> Any:
    """One config value as the connector needs it: decrypted when sealed, as stored otherwise."""
    if not is_sealed(value):
        return value
    try:
        return cipher(settings).decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise CredentialsError(
            "a channel credential cannot be decrypted with SOTONG_CREDENTIALS_KEY (was a key removed?)"
        ) from None


def seal(config: Mapping[str, Any] | None, settings: Settings | None = None) -> dict[str, Any]:
    """The config with every plaintext secret encrypted (sealed values and non-secrets untouched)."""
    result = dict(config or {})
    for name, value in result.items():
        if is_secret(name) and isinstance(value, str) and value and not is_sealed(value):
            result[name] = seal_value(value, settings)
    return result


def open_config(config: Mapping[str, Any] | None, settings: Settings | None = None) -> dict[str, Any]:
    """The config with its secrets decrypted: for connectors only, right before they call the platform."""
    return {name: open_value(value, settings) for name, value in (config or {}).items()}


def masked(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The config as staff may see it: secrets replaced by "••••" when set, everything else as stored."""
    return {name: (MASK if value else "") if is_secret(name) else value for name, value in (config or {}).items()}


def secret_names(config: Mapping[str, Any] | None) -> list[str]:
    """The names of the secrets set in a config (what the admin page and `channels list` say is "set")."""
    return sorted(name for name, value in (config or {}).items() if is_secret(name) and value)


def reseal_value(value: str, settings: Settings | None = None) -> str:
    """One secret re-encrypted with the newest key (a plaintext one sealed); CredentialsError if none opens it."""
    if not is_sealed(value):
        return seal_value(value, settings)
    try:
        return PREFIX + cipher(settings).rotate(value[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise CredentialsError("a sealed secret cannot be decrypted with the configured keys") from None
