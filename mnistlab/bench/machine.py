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
    isa = isa_of(flags, platform.machine())
    vendor = _vendor(text, platform.machine())
    return {
        "vendor": vendor,
        "family": cpu_family(vendor, text, isa),
        "isa": isa,
        "bf16": any(name in isa for name in ("AVX-512 BF16", "AMX", "ARM BF16")),
        "model": model.group(1).strip() if model else _model_name() or "unknown",
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


# ---- which CPU family a figure belongs to: the same code is 2-6x apart between an AVX2 laptop and an AMX server


def isa_of(flags: set, machine: str = "") -> list[str]:
    """The vector extensions that matter for TensorFlow/oneDNN here, from /proc/cpuinfo flags (best last)."""
    if machine.lower() in ("aarch64", "arm64") or "asimd" in flags:
        found = ["ARM NEON"]
        found += ["ARM SVE"] if "sve" in flags else []
        found += ["ARM BF16"] if "bf16" in flags else []
        return found
    found = [name for flag, name in (("avx2", "AVX2"), ("avx512f", "AVX-512")) if flag in flags]
    found += ["AVX-512 BF16"] if "avx512_bf16" in flags else []
    found += ["AMX"] if "amx_bf16" in flags else []
    return found or ["SSE"]


def _vendor(text: str, machine: str) -> str:
    found = re.search(r"vendor_id\s*:\s*(\S+)", text)
    vendor = found.group(1) if found else ""
    if vendor == "AuthenticAMD":
        return "AMD"
    if vendor == "GenuineIntel":
        return "Intel"
    if machine.lower() in ("aarch64", "arm64"):
        return "Apple" if platform.system() == "Darwin" else "ARM"
    return vendor or platform.system() or "unknown"


def _model_name() -> str:
    if platform.system() == "Darwin":  # no /proc/cpuinfo on macOS
        import subprocess

        try:
            return subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=5
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return platform.processor()
    return platform.processor()


def _amd_generation(text: str) -> str | None:
    family = re.search(r"cpu family\s*:\s*(\d+)", text)
    model = re.search(r"^model\s*:\s*(\d+)", text, re.MULTILINE)
    if not family or not model:
        return None
    family, model = int(family.group(1)), int(model.group(1))
    if family == 23:
        return "zen2" if model >= 0x30 else "zen1"
    if family == 25:
        return "zen4" if 0x10 <= model <= 0x1F or 0x60 <= model <= 0xAF else "zen3"
    if family == 26:
        return "zen5"
    return f"family{family}"


def cpu_family(vendor: str, text: str, isa: list[str]) -> str:
    """A short name for the CPU family, used for the result file: e.g. amd-zen4-avx512, intel-amx, arm-neon."""
    best = isa[-1].lower().replace("-", "").replace(" ", "")  # amx, avx512bf16, avx512, avx2, armbf16 ...
    best = {"avx512bf16": "avx512", "armneon": "neon", "armsve": "sve", "armbf16": "bf16"}.get(best, best)
    parts = [vendor.lower()]
    if vendor == "AMD":
        parts.append(_amd_generation(text) or "")
    parts.append(best)
    return "-".join(part for part in parts if part)
