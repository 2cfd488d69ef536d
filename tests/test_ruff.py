"""The code base is ruff-clean (configuration in pyproject.toml)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_clean():
    exe = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(exe).exists():
        pytest.skip("ruff not installed (it is in the 'test' extra)")
    proc = subprocess.run([exe, "check", str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_theory_never_imports_numerics():
    for path in (ROOT / "theory").glob("*.py"):
        text = path.read_text()
        assert "import numerics" not in text and "from numerics" not in text, path
