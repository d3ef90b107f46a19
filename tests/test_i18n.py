"""The UI catalogues: Korean and English define the same keys, split over per-feature files without clashes."""

from __future__ import annotations

import json

import pytest

from sotong import i18n


def test_korean_and_english_define_the_same_keys() -> None:
    ko, en = i18n.catalogue("ko"), i18n.catalogue("en")
    assert sorted(set(ko) - set(en)) == []
    assert sorted(set(en) - set(ko)) == []


def test_a_key_defined_in_two_files_is_refused(tmp_path, monkeypatch) -> None:
    (tmp_path / "ko").mkdir()
    (tmp_path / "ko.json").write_text(json.dumps({"a": "가"}), encoding="utf-8")
    (tmp_path / "ko" / "extra.json").write_text(json.dumps({"a": "나", "b": "다"}), encoding="utf-8")
    monkeypatch.setattr(i18n, "CATALOGUE_DIR", tmp_path)
    i18n.catalogue.cache_clear()
    try:
        with pytest.raises(ValueError, match=r"extra\.json"):
            i18n.catalogue("ko")
    finally:
        monkeypatch.undo()
        i18n.catalogue.cache_clear()


def test_per_feature_files_are_merged(tmp_path, monkeypatch) -> None:
    (tmp_path / "ko").mkdir()
    (tmp_path / "ko.json").write_text(json.dumps({"a": "가"}), encoding="utf-8")
    (tmp_path / "ko" / "extra.json").write_text(json.dumps({"b": "나"}), encoding="utf-8")
    monkeypatch.setattr(i18n, "CATALOGUE_DIR", tmp_path)
    i18n.catalogue.cache_clear()
    try:
        assert i18n.catalogue("ko") == {"a": "가", "b": "나"}
    finally:
        monkeypatch.undo()
        i18n.catalogue.cache_clear()


def test_every_audit_event_type_has_words() -> None:
    # Timelines and the audit log show events by their label: a new event type without one would show its raw key.
    import re
    from pathlib import Path

    src = Path(i18n.__file__).resolve().parent.parent
    code = "\n".join(p.read_text(encoding="utf-8") for p in src.rglob("*.py") if "migrations" not in p.parts)
    actions = set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', code))
    case_audit = r'audit\(\s*session,\s*\w+,\s*(?:case|target),\s*"([a-z_]+)"'
    actions |= {f"case.{name}" for name in re.findall(case_audit, code)}
    actions |= {f"answers.template_{n}" for n in re.findall(r'_audit\(session, actor, template, "([a-z_]+)"', code)}
    ko = i18n.catalogue("ko")
    missing = sorted(a for a in actions if f"event.{a}" not in ko and f"admin.event.{a}" not in ko)
    assert len(actions) > 40 and missing == []
