"""The machine a benchmark ran on: CPU model, vector units and library versions."""

from __future__ import annotations

import os
import platform
import re
from importlib import metadata
from pathlib import Path


def cpu_info() -> dict:
    """CPU model, cores, clock and an estimate of peak float32 FLOP/s from the vector width."""
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.+)", text)
    mhz = re.search(r"cpu MHz\s*:\s*([\d.]+)", text)
    flag_line = re.search(r"flags\s*:\s*(.+)", text)
    flags = set(flag_line.group(1).split()) if flag_line else set()
    cores = os.cpu_count() or 1
    ghz = float(mhz.group(1)) / 1000 if mhz else None
    # Two FMA units per core; an FMA is 2 FLOPs on each float32 lane: 16 lanes (AVX-512), 8 (AVX2), 4 (SSE).
    lanes = 16 if "avx512f" in flags else 8 if "avx2" in flags else 4
    per_cycle = 2 * 2 * lanes
    return {
        "model": model.group(1).strip() if model else platform.processor() or "unknown",
        "cores": cores,
        "ghz": round(ghz, 2) if ghz else None,
        "vector": "AVX-512" if lanes == 16 else "AVX2" if lanes == 8 else "SSE",
        "amx": "amx_bf16" in flags,
        "fp32_flops_per_cycle": per_cycle,
        "peak_fp32_gflops": round(cores * ghz * per_cycle, 1) if ghz else None,
    }


def versions() -> dict:
    found = {"python": platform.python_version()}
    for name in ("tensorflow", "keras", "numpy", "streamlit", "mnistlab"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found
