"""Helpers shared by several test modules (importable as ``support``: the root
``conftest.py`` puts ``tests/`` on ``sys.path``)."""
