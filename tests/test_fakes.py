"""The platform fakes stand apart from the product: a fake that borrowed the product's rules would agree with
its mistakes (the X fake once counted length with the product's own counter)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

FAKES = Path(__file__).parent / "fakes"


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            names.update(str(arg.value) for arg in node.args if isinstance(arg, ast.Constant))
    return names


def test_no_fake_imports_the_product() -> None:
    offending = {
        path.name: sorted(n for n in _imported(path) if n == "sotong" or n.startswith("sotong."))
        for path in sorted(FAKES.glob("*.py"))
    }
    assert {name: found for name, found in offending.items() if found} == {}


def test_loading_every_fake_loads_nothing_of_the_product() -> None:
    """Transitively too: a fake importing a test helper that imports the product would pass the check above."""
    modules = [f"tests.fakes.{path.stem}" for path in sorted(FAKES.glob("*.py")) if path.stem != "__init__"]
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'sotong' or m.startswith('sotong.')))\n"
    )
    root = Path(__file__).parent.parent
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
