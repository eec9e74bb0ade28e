"""Run an emulator with fault injection in its own process (for the load and pool tests).

    python serve_faults.py SPEC [PACE]

Prints ``claude-bedrock emulator listening on URL`` like ``claude-bedrock serve``, which
will do the same once it takes ``--faults SPEC``; until then the tests start this script.
"""

from __future__ import annotations

import sys

from claude_bedrock.emulator.app import EmulatorConfig
from claude_bedrock.emulator.runner import serve_forever


def main() -> None:
    spec = sys.argv[1]
    pace = float(sys.argv[2]) if len(sys.argv) > 2 else None

    def ready(host: str, port: int) -> None:
        print(f"claude-bedrock emulator listening on http://{host}:{port}", flush=True)

    config = EmulatorConfig(faults=spec, pace=pace, shutdown_timeout=2.0)
    serve_forever(config, host="127.0.0.1", port=0, on_ready=ready)


if __name__ == "__main__":
    main()
