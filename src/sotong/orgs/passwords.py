"""Password hashing with argon2id (argon2-cffi)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sotong.settings import Environment, get_settings

MIN_PASSWORD_LENGTH = 8


@lru_cache(maxsize=2)
def _hasher(fast: bool) -> PasswordHasher:
    # The test suite creates hundreds of users; production keeps argon2-cffi's recommended cost.
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1) if fast else PasswordHasher()


def _current() -> PasswordHasher:
    return _hasher(get_settings().env is Environment.test)


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _current().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if `password` matches; never raises for a wrong or malformed hash."""
    try:
        return _current().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the stored hash was made with weaker parameters than the current ones."""
    return _current().check_needs_rehash(password_hash)
