"""`make audit`: pip-audit over every lock, for every Python the lock serves (needs the network).

    python layers/audit_locks.py

Why a script: layers/requirements.txt is one lock for all runtimes, with per-version pins under markers, and
pip-audit evaluates markers for the interpreter running it, so the Python 3.10 pins (dnspython, rpds-py) would
never be looked at. Each runtime's pins are written marker-free (with their hashes) to build/audit/ and audited
on their own, then requirements-dev.txt. --strict: a package the advisory service cannot be asked about fails
the audit instead of being skipped (without network every package would be skipped and the audit "pass").
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ship import paths, requirements, runtimes

AUDIT_DIR = paths.BUILD / "audit"
LAYER_PYTHONS = ("3.10", "3.12")  # the runtimes the layer is built for (layers/README.md)


def main() -> int:
    AUDIT_DIR.mkdir(parents=True, exist_ok=True)
    targets: list[tuple[str, Path]] = []
    for version in LAYER_PYTHONS:
        pins = requirements.resolve(paths.REQUIREMENTS, version)
        target = AUDIT_DIR / f"layer-{runtimes.cache_tag(version)}.txt"
        target.write_text("".join(pin.hashed_line + "\n" for pin in pins), encoding="utf-8")
        targets.append((f"layer, Python {version}", target))
    targets.append(("development", paths.REPO / "requirements-dev.txt"))
    failed = 0
    for label, target in targets:
        print(f"audit: {label} ({target.relative_to(paths.REPO)})", flush=True)
        command = [sys.executable, "-m", "pip_audit", "--strict", "--require-hashes", "--disable-pip",
                   "--progress-spinner", "off", "-r", str(target)]
        failed += subprocess.run(command).returncode != 0
    print("audit: no known vulnerabilities" if not failed else f"audit: {failed} lock(s) failed (see above)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
