"""The sandboxes stand apart from the product, as the test fakes do: a sandbox that borrowed the product's rules
would agree with its mistakes, and a training centre would learn them as the platform's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sotong_sandbox
from tests.test_fakes import _imported

PACKAGE = Path(sotong_sandbox.__file__).parent


def test_no_sandbox_module_imports_the_product() -> None:
    offending = {
        path.name: sorted(n for n in _imported(path) if n == "sotong" or n.startswith("sotong."))
        for path in sorted(PACKAGE.glob("*.py"))
    }
    assert {name: found for name, found in offending.items() if found} == {}


def test_loading_every_sandbox_loads_nothing_of_the_product() -> None:
    modules = [f"sotong_sandbox.{path.stem}" for path in sorted(PACKAGE.glob("*.py")) if path.stem != "__init__"]
    assert modules
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'sotong' or m.startswith('sotong.') or m.startswith('tests')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
