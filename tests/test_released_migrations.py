"""A migration that shipped in a release is never edited: checked against the release tags when the checkout has them,
and always against the committed manifest (src/sotong/migrations/released.json, written at each release)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from alembic.script import ScriptDirectory

from sotong import schema

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = schema.MIGRATIONS_DIR / "versions"
MANIFEST = schema.MIGRATIONS_DIR / "released.json"
REPO_VERSIONS = "src/sotong/migrations/versions"


def _manifest() -> dict[str, dict[str, object]]:
    return dict(json.loads(MANIFEST.read_text()))


def _release_tags() -> list[str]:
    """The checkout's release tags (none outside a git checkout, or in one cloned without tags)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return []
    found = subprocess.run(
        ["git", "-C", str(ROOT), "tag", "--list", "v*"], capture_output=True, text=True, check=False
    ).stdout
    return found.split()


def _changed(files: dict[str, bytes]) -> list[str]:
    return [
        name
        for name, content in files.items()
        if not (VERSIONS / name).is_file() or (VERSIONS / name).read_bytes() != content
    ]


def test_released_migrations_are_unchanged_per_the_manifest() -> None:
    manifest = _manifest()
    assert "v0.1.0" in manifest
    for release, entry in manifest.items():
        migrations = entry["migrations"]
        assert isinstance(migrations, dict) and migrations, release
        changed = [
            name
            for name, digest in migrations.items()
            if not (VERSIONS / name).is_file() or hashlib.sha256((VERSIONS / name).read_bytes()).hexdigest() != digest
        ]
        assert not changed, f"migrations of {release} were edited or removed: {changed}; write a new migration instead"


def test_released_migrations_are_unchanged_per_the_tags() -> None:
    """Where the tags are present (every full clone), each tag's migrations, byte for byte; and the manifest agrees
    with every tag it lists, so a manifest entry cannot drift from its release."""
    manifest = _manifest()
    for tag in _release_tags():
        listing = subprocess.run(
            ["git", "-C", str(ROOT), "ls-tree", "--name-only", f"{tag}:{REPO_VERSIONS}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        files = {
            name: subprocess.run(
                ["git", "-C", str(ROOT), "show", f"{tag}:{REPO_VERSIONS}/{name}"], capture_output=True, check=True
            ).stdout
            for name in listing
            if name.endswith(".py")
        }
        assert files, tag
        assert not _changed(files), f"migrations of {tag} were edited or removed: {_changed(files)}"
        if tag in manifest:
            digests = {name: hashlib.sha256(content).hexdigest() for name, content in files.items()}
            assert manifest[tag]["migrations"] == digests, f"released.json's {tag} differs from the tag"


def test_the_previous_release_head_is_an_ancestor_of_ours() -> None:
    """Every release's head is still in our history: `db upgrade` from that release has a path to our head."""
    script = ScriptDirectory(str(schema.MIGRATIONS_DIR))
    ancestors: set[str] = set()
    todo = list(script.get_heads())
    while todo:
        revision = script.get_revision(todo.pop())
        if revision is not None and revision.revision not in ancestors:
            ancestors.add(revision.revision)
            todo.extend(revision._normalized_down_revisions)
    for release, entry in _manifest().items():
        for head in entry["heads"]:  # type: ignore[union-attr]
            assert head in ancestors, f"{release}'s head {head} does not lead to our head"


def test_a_changed_released_migration_is_caught(tmp_path: Path) -> None:
    """The check itself can fail: one changed byte in a released file is reported."""
    name = next(iter(_manifest()["v0.1.0"]["migrations"]))  # type: ignore[call-overload]
    original = (VERSIONS / name).read_bytes()
    assert _changed({name: original}) == []
    assert _changed({name: original + b"\n"}) == [name]
