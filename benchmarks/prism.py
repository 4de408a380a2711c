"""Stoplight Prism: a local npm install (cached in benchmarks/.prism) and one process per spec."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.config import HOST, PRISM_DIR
from benchmarks.servers import Launch, Probe

__all__ = ["PACKAGE", "PrismInfo", "ensure_prism", "prism_launch"]

PACKAGE = "@stoplight/prism-cli@5.14"  # 5.15+ needs Node 24
MIN_NODE = 18


@dataclass(frozen=True)
class PrismInfo:
    binary: Path | None
    version: str | None = None
    node: str | None = None
    reason: str | None = None  # why Prism is not available
    install_s: float | None = None  # None: it was already installed

    @property
    def available(self) -> bool:
        return self.binary is not None


def _version(argv: list[str]) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_prism(directory: Path = PRISM_DIR) -> PrismInfo:
    """Prism from `directory`, installed there with npm when missing; unavailable with a reason."""
    node = shutil.which("node")
    if node is None:
        return PrismInfo(None, reason="Node.js is not installed (`node` not on PATH)")
    node_version = _version([node, "--version"]) or "unknown"
    try:
        major = int(node_version.lstrip("v").split(".")[0])
    except ValueError:
        major = 0
    if major < MIN_NODE:
        return PrismInfo(None, node=node_version, reason=f"Node {node_version} is too old for Prism 5.14")
    binary = directory / "node_modules" / ".bin" / "prism"
    version = _version([str(binary), "--version"]) if binary.exists() else None
    if version is not None and version.startswith("5.14."):
        return PrismInfo(binary, version, node_version)
    npm = shutil.which("npm")
    if npm is None:
        return PrismInfo(None, node=node_version, reason="npm is not installed")
    print(f"bench: installing {PACKAGE} into {directory} (once)", flush=True)
    directory.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    argv = [
        npm,
        "install",
        "--prefix",
        str(directory),
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        PACKAGE,
    ]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        return PrismInfo(None, node=node_version, reason=f"`npm install {PACKAGE}` took over 600 s")
    elapsed = time.monotonic() - started
    version = _version([str(binary), "--version"]) if binary.exists() else None
    if done.returncode != 0 or version is None:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        return PrismInfo(None, node=node_version, reason=f"`npm install {PACKAGE}` failed: {tail}")
    return PrismInfo(binary, version, node_version, install_s=round(elapsed, 1))


def prism_launch(binary: Path, spec: Path, port: int, probe: Probe, *, dynamic: bool, cwd: Path) -> Launch:
    """`prism mock SPEC` on the loopback, silent; `-d` generates bodies from the schemas."""
    argv = [str(binary), "mock", str(spec), "--host", HOST, "--port", str(port), "--verboseLevel", "silent"]
    if dynamic:
        argv.append("--dynamic")
    return Launch(spec.stem, argv, port, [probe], cwd=cwd)
