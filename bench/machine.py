"""The facts about the machine and the software a benchmark ran on, for the report's header.

Figures from different machines or versions are not comparable; every report says where it came
from: CPU model and count, RAM, Python, the versions of the packages that do the work, the date.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

PACKAGES = ("pm-agent", "chromadb", "onnxruntime", "mcp", "numpy", "tokenizers")


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name from /proc/cpuinfo, or what the platform module knows."""
    try:
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def ram_gb(meminfo: Path = Path("/proc/meminfo")) -> float | None:
    """Total RAM in GB from /proc/meminfo (None where there is none)."""
    try:
        for line in meminfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Installed version of each package ("not installed" when absent)."""
    found = {}
    for name in packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def machine_facts() -> dict:
    """Everything the report's header states about where and when it ran."""
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "ram_gb": ram_gb(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "versions": versions(),
    }
