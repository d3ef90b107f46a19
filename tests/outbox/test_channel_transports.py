"""A worker process that never imported the web app still knows every channel connector's transport."""

from __future__ import annotations

import subprocess
import sys

from sotong.channels.registry import CONNECTORS


def test_a_bare_worker_process_finds_the_channel_transports() -> None:
    code = (
        "import sys\n"
        "from sotong.outbox.transports import get_transport\n"
        "assert 'sotong.web.app' not in sys.modules\n"
        "print(' '.join(sorted(get_transport(n).name for n in sys.argv[1:])))\n"
    )
    names = sorted(CONNECTORS)
    result = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == names
