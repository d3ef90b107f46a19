"""Channel account secrets: encrypted in the database row, decrypted only for connectors, never shown back."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from sotong import secrets as credentials
from sotong.actors import CLI
from sotong.channels import accounts as channel_accounts
from sotong.channels.accounts import rotate_credentials
from sotong.cli import app
from sotong.orgs.models import Channel, ChannelAccount
from sotong.secrets import CredentialsError, masked, open_config
from sotong.settings import Settings, reset_settings_cache
from tests.factories import World

SECRET = "sk-live-very-secret-token-123"


def _raw_config(engine: Engine, account_id: int) -> str:
    """The config exactly as the database stores it, read past the ORM."""
    with engine.connect() as conn:
        value = conn.execute(text("SELECT config FROM channel_accounts WHERE id = :id"), {"id": account_id}).scalar()
    return value if isinstance(value, str) else json.dumps(value)


def _account(session: Session, world: World, **config: str) -> ChannelAccount:
    return channel_accounts.create_channel_account(
        session,
        actor=CLI,
        org_id=world.songpa.id,
        channel=Channel.facebook,
        handle="songpa-page",
        config={"page_id": "1234", "graph_url": "http://127.0.0.1:1", **config},
    )


def test_secrets_are_encrypted_in_the_row_and_open_only_for_connectors(
    session: Session, engine: Engine, world: World
) -> None:
    account = _account(session, world, page_access_token=SECRET, app_secret="app-secret-456")
    raw = _raw_config(engine, account.id)
    assert SECRET not in raw and "app-secret-456" not in raw
    assert "enc:v1:" in raw
    assert "1234" in raw  # non-secrets stay readable
    session.expire_all()
    stored = session.get(ChannelAccount, account.id)
    assert stored is not None
    assert stored.config["page_access_token"] != SECRET  # the ORM sees the sealed value too
    opened = open_config(stored.config)
    assert opened["page_access_token"] == SECRET and opened["app_secret"] == "app-secret-456"
    assert masked(stored.config)["page_access_token"] == "••••"


def test_a_plaintext_config_written_before_encryption_is_read_then_sealed(
    session: Session, engine: Engine, world: World, settings: Settings
) -> None:
    account = _account(session, world)
    with engine.begin() as conn:  # as an older version left it
        conn.execute(
            text("UPDATE channel_accounts SET config = :c WHERE id = :id"),
            {"c": json.dumps({"page_id": "1234", "page_access_token": SECRET}), "id": account.id},
        )
    session.expire_all()
    stored = session.get(ChannelAccount, account.id)
    assert stored is not None
    assert open_config(stored.config)["page_access_token"] == SECRET  # still works
    session.rollback()
    assert rotate_credentials(session) >= 1
    assert SECRET not in _raw_config(engine, account.id)
    session.expire_all()
    assert open_config(session.get(ChannelAccount, account.id).config)["page_access_token"] == SECRET  # type: ignore[union-attr]


def test_key_rotation_reencrypts_and_the_old_key_can_go(
    session: Session, engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("SOTONG_CREDENTIALS_KEY", old)
    reset_settings_cache()
    account = _account(session, world, page_access_token=SECRET)
    before = _raw_config(engine, account.id)
    monkeypatch.setenv("SOTONG_CREDENTIALS_KEY", f"{new},{old}")
    reset_settings_cache()
    session.rollback()
    assert rotate_credentials(session) == 1  # only the account that has a secret changes
    after = _raw_config(engine, account.id)
    assert before != after
    monkeypatch.setenv("SOTONG_CREDENTIALS_KEY", new)
    reset_settings_cache()
    session.expire_all()
    assert open_config(session.get(ChannelAccount, account.id).config)["page_access_token"] == SECRET  # type: ignore[union-attr]
    monkeypatch.setenv("SOTONG_CREDENTIALS_KEY", Fernet.generate_key().decode())
    reset_settings_cache()
    with pytest.raises(CredentialsError):
        open_config(session.get(ChannelAccount, account.id).config)  # type: ignore[union-attr]


def test_cli_never_prints_a_secret(session: Session, world: World, settings: Settings) -> None:
    runner = CliRunner()
    added = runner.invoke(
        app,
        [
            "channels", "add", "--org", "songpa", "--channel", "mastodon", "--handle", "@cli@gov.social",
            "--config", json.dumps({"base_url": "http://127.0.0.1:9", "access_token": SECRET}),
        ],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert SECRET not in added.output
    listed = runner.invoke(app, ["channels", "list", "--org", "songpa"])
    assert listed.exit_code == 0, listed.output
    assert "@cli@gov.social" in listed.output
    assert SECRET not in listed.output and "enc:v1:" not in listed.output
    assert "access_token" in listed.output  # named as set, never shown


def test_secret_names() -> None:
    for name in ("access_token", "app_secret", "imap_password", "api_key", "page_access_token", "verify_token"):
        assert credentials.is_secret(name), name
    for name in ("since_id", "next_token", "base_url", "page_id", "user_id", "imap_user", "last_uid"):
        assert not credentials.is_secret(name), name
