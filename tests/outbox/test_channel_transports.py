"""A worker process that never imported the web app still knows every channel connector's transport.

Transports are registered at start-up (sotong/wiring.py), not as a side effect of some import: every `sotong`
command registers them before it runs, `sotong worker` included, so a bare worker delivers on every channel.
"""

from __future__ import annotations

import subprocess
import sys

from sotong.channels.registry import CONNECTORS


def _transports_after(command: str, names: list[str]) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from sotong.cli import app\n"
        "from sotong.outbox.transports import get_transport\n"
        f"result = CliRunner().invoke(app, [{command!r}])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'sotong.app' not in sys.modules\n"
        "print(' '.join(sorted(get_transport(n).name for n in sys.argv[1:])))\n"
    )
    return subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, check=False)


def test_a_bare_worker_process_finds_the_channel_transports() -> None:
    names = sorted(CONNECTORS)
    result = _transports_after("version", names)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == names


def test_nothing_is_registered_by_importing_alone() -> None:
    code = "from sotong.outbox.transports import TRANSPORTS\nimport sotong.worker\nprint(sorted(TRANSPORTS))\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['log']"
