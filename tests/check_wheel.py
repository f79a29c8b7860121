"""Install a built wheel into a new virtual environment and run `cmtk --version` from it.

Usage: python tests/check_wheel.py DIST/FILE.whl VENV-FOLDER (`make check-wheel` runs it after `make dist`).
The venv's cmtk runs from a folder outside the source tree, so it cannot pick up the checkout by accident.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path


def main(wheel: str, folder: str) -> int:
    target = Path(folder)
    if target.exists():
        shutil.rmtree(target)
    venv.EnvBuilder(with_pip=True).create(target)
    scripts = target / ("Scripts" if sys.platform == "win32" else "bin")
    python = scripts / ("python.exe" if sys.platform == "win32" else "python")
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(Path(wheel).resolve())], check=True)
    cmtk = scripts / ("cmtk.exe" if sys.platform == "win32" else "cmtk")
    with tempfile.TemporaryDirectory() as elsewhere:
        version = subprocess.run([str(cmtk), "--version"], cwd=elsewhere, check=True, capture_output=True, text=True)
        forms = subprocess.run([str(cmtk), "form", "list"], cwd=elsewhere, check=True, capture_output=True, text=True)
    if "identification" not in forms.stdout:
        print("the installed cmtk has no forms: forms/ and templates/ must be in the wheel", file=sys.stderr)
        return 1
    print(version.stdout.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
