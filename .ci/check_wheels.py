"""Resolve the learner's install for every laptop the workshop supports, from wheels only.

For each platform and Python, uv resolves requirements.in for that target with requirements.txt
as constraints and no source builds. The check fails at the first target where a package has no
wheel, or where the target needs a package that requirements.txt does not pin for it (a learner
would then run a version CI never ran).

    python .ci/check_wheels.py [requirements.txt]
"""

import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
# uv's name for the target, and the environment markers a Python there reports.
PLATFORMS = {
    "Windows x86_64": (
        "x86_64-pc-windows-msvc",
        {"sys_platform": "win32", "os_name": "nt", "platform_system": "Windows",
         "platform_machine": "AMD64"},
    ),
    "macOS 13+ arm64": (
        "aarch64-apple-darwin",
        {"sys_platform": "darwin", "os_name": "posix", "platform_system": "Darwin",
         "platform_machine": "arm64"},
    ),
    "Linux x86_64 (manylinux_2_28)": (
        "x86_64-manylinux_2_28",
        {"sys_platform": "linux", "os_name": "posix", "platform_system": "Linux",
         "platform_machine": "x86_64"},
    ),
    "Linux aarch64 (manylinux_2_28)": (
        "aarch64-manylinux_2_28",
        {"sys_platform": "linux", "os_name": "posix", "platform_system": "Linux",
         "platform_machine": "aarch64"},
    ),
}  # fmt: skip
# 3.11.0: the first 3.11 release the lock supports (it pins an older soupsieve below 3.11.5).
PYTHONS = ("3.11.0", "3.12.0", "3.13.0", "3.14.0")


def marker_environment(platform_markers, python):
    return {
        **platform_markers,
        "python_version": ".".join(python.split(".")[:2]),
        "python_full_version": python,
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_version": "",
        "implementation_version": python,
    }


def pins_for(lock_lines, environment):
    """{name: version} of the lock's pins whose markers hold in this environment."""
    pins = {}
    for line in lock_lines:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            pins[canonicalize_name(requirement.name)] = str(requirement.specifier).lstrip("=")
    return pins


def lock_lines(lock):
    lines = []
    for raw in lock.read_text(encoding="utf-8").splitlines():
        line = raw.split("  #")[0].split(" # ")[0].strip()
        if line and not line.startswith(("#", "-")):
            lines.append(line)
    return lines


def resolve(target, python, constraints):
    """The packages this target installs: name==version lines, or the resolver's complaint."""
    command = [
        "uv", "pip", "compile", "requirements.in", "--quiet", "--no-header", "--no-annotate",
        "--python-platform", target, "--python-version", python, "--only-binary", ":all:",
        "--constraints", str(constraints),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        return None, done.stderr.strip()
    return [line for line in done.stdout.splitlines() if "==" in line], ""


def check(lock):
    lines = lock_lines(lock)
    targets = [
        (f"{name}, Python {python}", target, marker_environment(platform_markers, python), python)
        for name, (target, platform_markers) in PLATFORMS.items()
        for python in PYTHONS
    ]
    with tempfile.TemporaryDirectory() as scratch:
        constraints = Path(scratch) / "constraints.txt"
        constraints.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with ThreadPoolExecutor(max_workers=4) as pool:  # Mostly waiting on the package index.
            resolved = pool.map(lambda t: resolve(t[1], t[3], constraints), targets)
            for (label, _, environment, _), (installed, complaint) in zip(
                targets, resolved, strict=True
            ):
                if installed is None:
                    return f"{label}: no wheel-only install:\n{complaint}"
                pins = pins_for(lines, environment)
                for line in installed:
                    package, _, version = line.partition("==")
                    package = canonicalize_name(package.split("[")[0])
                    if pins.get(package) != version:
                        return (
                            f"{label}: installs {package}=={version}, which {lock.name} does "
                            f"not pin for it (pinned: {pins.get(package)}). Run: bash .ci/lock"
                        )
                print(f"ok  {label}: {len(installed)} packages, all wheels, all pinned")
    return None


def main():
    lock = ROOT / (sys.argv[1] if len(sys.argv) > 1 else "requirements.txt")
    problem = check(lock)
    if problem:
        print(f"FAILED {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
