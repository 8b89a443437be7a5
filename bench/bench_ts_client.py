"""The official TypeScript MCP client's start: spawning ``pm-agent serve`` over stdio, ``initialize``
and ``tools/list``, timed by the client itself, plus the size of the ``tools/list`` answer.

    python bench/bench_ts_client.py [--sdk-dir /tmp/tsclient] [--runs 7]

The client is ``@modelcontextprotocol/sdk`` installed with npm OUTSIDE the repository
(``mkdir /tmp/tsclient && cd /tmp/tsclient && npm init -y && npm install @modelcontextprotocol/sdk``);
``--sdk-dir`` (or PM_AGENT_TS_SDK_DIR) names that folder. Without node or the package the bench
says so and exits 0. Goal (hardening issue): within 1.5 s, and ``tools/list`` under 25 KB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).with_name("ts_list_tools.cjs")
SRC = Path(__file__).resolve().parents[1] / "src"
DEFAULT_SDK_DIR = "/tmp/tsclient"
PACKAGE = Path("node_modules") / "@modelcontextprotocol" / "sdk" / "package.json"


def missing_prerequisite(sdk_dir: Path) -> str | None:
    """Why the bench cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (sdk_dir / PACKAGE).is_file():
        return f"@modelcontextprotocol/sdk is not installed in {sdk_dir} (npm install it there, outside the repo)"
    return None


def measure(sdk_dir: Path, runs: int, src: Path = SRC) -> dict:
    """The client's own timings of ``runs`` starts (after one warm-up start), tool count and answer size."""
    with tempfile.TemporaryDirectory() as state:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(src),
            "PM_AGENT_MEMORY_DIR": os.path.join(state, "memory"),
        }
        command = ["node", str(SCRIPT), str(sdk_dir), str(runs + 1), sys.executable, "-m", "pm_agent", "serve"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=300)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    result["cpu_per_start"] = cpu / (runs + 1)  # node and the servers it spawned: steadier than wall time under load
    result["runs"] = result["runs"][1:]  # the first start warms the OS file cache and bytecode caches
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdk-dir", default=os.environ.get("PM_AGENT_TS_SDK_DIR", DEFAULT_SDK_DIR))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--src", type=Path, default=SRC, help="the pm_agent source tree to serve (default: this one)")
    args = parser.parse_args()
    sdk_dir = Path(args.sdk_dir)
    if reason := missing_prerequisite(sdk_dir):
        print(f"skipped: {reason}")
        return
    result = measure(sdk_dir, args.runs, args.src)
    runs = result["runs"]
    print(f"| measure (TypeScript SDK {result['sdk']}) | median | runs |")
    print("|---|---|---|")
    print(
        f"| spawn + initialize + tools/list ({result['tools']} tools) | {statistics.median(runs):.3f} s "
        f"| {' '.join(f'{r:.3f}' for r in runs)} |"
    )
    print(f"| CPU per start (client + server) | {result['cpu_per_start']:.3f} s | |")
    print(f"| tools/list answer | {result['bytes']} bytes | |")


if __name__ == "__main__":
    main()
