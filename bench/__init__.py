"""Performance scripts (run as files: ``python bench/<name>.py``); a package so that mypy tells
``bench/reports.py`` from the ``reports`` app."""
