"""Password hashing with argon2id (argon2-cffi), and what a password must be: long enough and not guessable.

"Not guessable" is zxcvbn's judgement (the `zxcvbn` package, which ships its dictionaries of common and breached
passwords, names, Korean romanisations of none, keyboard patterns and dates: nothing is downloaded): a score of
at least 3 of 4, with the user name and display name counted as known words. `12345678`, `password`, `qwerty123`
and `p@ssw0rd` score 0.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sotong.errors import InvalidInput
from sotong.settings import Environment, get_settings

MIN_PASSWORD_LENGTH = 8
MIN_STRENGTH = 3  # zxcvbn: 3 = "safely unguessable: moderate protection from an offline slow-hash scenario"
# zxcvbn's cost grows with the length; beyond this many characters a password is judged by its start alone.
_JUDGED_LENGTH = 64


def check_password(password: str, *, known_words: tuple[str, ...] = ()) -> None:
    """InvalidInput (field "password", code password_short or password_weak) unless the password will do."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password must be at least {MIN_PASSWORD_LENGTH} characters", field="password", code="password_short"
        )
    from zxcvbn import zxcvbn  # imported when first needed: its dictionaries take a moment to load

    result = zxcvbn(password[:_JUDGED_LENGTH], user_inputs=[w for w in known_words if w])
    if result["score"] < MIN_STRENGTH:
        warning = result["feedback"].get("warning") or "it is too easy to guess"
        raise InvalidInput(f"password is too weak: {warning}", field="password", code="password_weak")


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
