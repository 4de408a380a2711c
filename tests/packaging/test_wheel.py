"""The wheel works on its own: built from the project, installed into a fresh venv, run elsewhere.

Slow (about a minute: the venv installs every dependency from the package index), so it is
marked `packaging`; `pytest -m "not packaging"` leaves it out.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import CREDENTIALS, FIXTURES, ROOT, SPECS, free_port

pytestmark = pytest.mark.packaging

# One request per API; with the bundled fixtures these answer the vendors' own samples.
REQUESTS = {
    "codecatalyst": (
        "/v1/spaces/ExampleCorp/projects/MyDemoProject/workflowRuns/a1b2c3d4-5678-90ab-cdef-000000123abc"
    ),
    "eightbyeight": (
        "/api/v1/accounts/test_account_id/definitions/5870442f-3ddd-4657-b74c-6e17308f5230/workflows"
    ),
    "etlworks": "/rest/v1/executions/1234",
    "onedata": "/api/v3/oneprovider/automation/execution/workflows/11a53ed06d175c89bc3ed5be61f8217cch1890",
    "oracle_selfservice": (
        "/selfservice/v1/executions/status?id=3-BLFVC0W&id=3-XTFVC0W&requestor=EXADATA_CPU_SCALE"
    ),
}
# What the build reads (pyproject: packages, readme, data-files); copied out so that building
# leaves nothing (build/, egg-info) in the checkout.
BUILD_INPUTS = ("pyproject.toml", "README.md", "mockserver", "specs", "fixtures")


@dataclass(frozen=True)
class Installed:
    bin: Path  # the fresh venv's bin/
    cwd: Path  # an empty directory outside the checkout
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "mockserver"), *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


def run_step(args: list[str], cwd: Path, timeout: float) -> None:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, f"{' '.join(args)}\n{result.stdout[-3000:]}{result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The project's wheel, installed with its pinned dependencies into a new venv."""
    tmp = tmp_path_factory.mktemp("packaging")
    started = time.monotonic()
    source, dist, venv, cwd = tmp / "src", tmp / "dist", tmp / "venv", tmp / "elsewhere"
    source.mkdir()
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    cwd.mkdir()
    run_step([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(source)], tmp, 300)
    wheel = next(dist.glob("mockserver-*.whl"))
    run_step([sys.executable, "-m", "venv", str(venv)], tmp, 120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    run_step([*pip, "-c", str(ROOT / "constraints.txt"), str(wheel)], tmp, 600)
    print(f"wheel built and installed in {time.monotonic() - started:.0f} s")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCKSERVER_", "VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return Installed(venv / "bin", cwd, env)


def test_installed_wheel_reports_its_version_and_runs_from_the_venv(installed: Installed) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    result = installed.run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"mockserver {version}"
    where = subprocess.run(
        [str(installed.bin / "python"), "-c", "import mockserver; print(mockserver.__file__)"],
        cwd=installed.cwd,
        env=installed.env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert not Path(where.stdout.strip()).is_relative_to(ROOT), "the venv must not import the checkout"


def package_files(package: Path) -> set[str]:
    return {
        str(path.relative_to(package))
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_installed_wheel_ships_the_whole_package_and_every_spec_and_fixture(installed: Installed) -> None:
    site = subprocess.run(
        [str(installed.bin / "python"), "-c", "import mockserver; print(mockserver.__path__[0])"],
        cwd=installed.cwd,
        env=installed.env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert package_files(Path(site.stdout.strip())) == package_files(ROOT / "mockserver")
    # data-files globs do not recurse: a new fixtures/<slug>/ needs its own line in pyproject.toml.
    share = installed.bin.parent / "share" / "mockserver"
    assert package_files(share / "specs") == package_files(SPECS)
    assert package_files(share / "fixtures") == package_files(FIXTURES)


def test_installed_wheel_lints_its_bundled_specs_from_any_directory(installed: Installed) -> None:
    result = installed.run("lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(list(SPECS.glob('*.yaml')))} specs, 0 findings" in result.stderr


def test_installed_wheel_serves_every_api_with_its_bundled_fixtures(installed: Installed) -> None:
    port = free_port()
    log = installed.cwd / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(installed.bin / "mockserver"), "serve", "--port", str(port)],
            cwd=installed.cwd,
            env=installed.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, f"serve exited {process.returncode}: {log.read_text()}"
                try:
                    http.get("/")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, f"serve did not answer in 30 s: {log.read_text()}"
                    time.sleep(0.1)
            answers = {slug: http.get(path, headers=CREDENTIALS[slug]) for slug, path in REQUESTS.items()}
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert {slug: r.status_code for slug, r in answers.items()} == dict.fromkeys(REQUESTS, 200)
    # The seed fixture of flow 1234 (fixtures/etlworks) ships in the wheel and is served as it is.
    assert answers["etlworks"].json()["flowName"] == "Load orders"
