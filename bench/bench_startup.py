"""MCP server start-up: from launching ``pm-agent serve`` to the answers to ``initialize`` and ``tools/list``.

    python bench/bench_startup.py [--runs 7]

Speaks raw JSON-RPC over the child's stdin/stdout, as a desktop client does, and prints the median
and every run. Goal (issue 4): ``initialize`` plus ``tools/list`` within 1.5 s. For scale it also
times a bare ``import mcp.server.mcpserver``, the floor no server built on the SDK can go under.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

SERVE = [sys.executable, "-m", "pm_agent", "serve"]
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
TOOLS_LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}


def send(process: subprocess.Popen, message: dict) -> None:
    process.stdin.write(json.dumps(message) + "\n")
    process.stdin.flush()


def one_start(env: dict[str, str]) -> tuple[float, float, int]:
    """Seconds to the ``initialize`` reply, seconds to the ``tools/list`` reply, and the tool count."""
    started = time.perf_counter()
    process = subprocess.Popen(
        SERVE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        send(process, INITIALIZE)
        json.loads(process.stdout.readline())
        initialized = time.perf_counter() - started
        send(process, INITIALIZED)
        send(process, TOOLS_LIST)
        tools = json.loads(process.stdout.readline())["result"]["tools"]
        listed = time.perf_counter() - started
    finally:
        process.stdin.close()
        process.wait(timeout=30)
        process.stdout.close()
    return initialized, listed, len(tools)


def sdk_import_seconds(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import mcp.server.mcpserver"], check=True, env=env)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:
        env = {"PATH": os.environ.get("PATH", ""), "PM_AGENT_MEMORY_DIR": os.path.join(state, "memory")}
        one_start(env)  # warm the OS file cache and the bytecode caches
        runs, floors = [], []
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            runs.append(one_start(env))
            floors.append(sdk_import_seconds(env))
    floor = statistics.median(floors)
    print("| measure | median s | runs (s) |")
    print("|---|---|---|")
    print(f"| initialize | {statistics.median(r[0] for r in runs):.3f} | {' '.join(f'{r[0]:.3f}' for r in runs)} |")
    print(
        f"| initialize + tools/list ({runs[0][2]} tools) | {statistics.median(r[1] for r in runs):.3f} "
        f"| {' '.join(f'{r[1]:.3f}' for r in runs)} |"
    )
    print(f"| bare `import mcp.server.mcpserver` (floor) | {floor:.3f} | |")


if __name__ == "__main__":
    main()
