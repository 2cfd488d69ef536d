"""Puts this folder on sys.path so that its test modules share ``certify_instances``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
