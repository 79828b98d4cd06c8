"""The workbooks a head downloads: weekly summary, monthly KPI report, weekly problemator.

Each builder takes a municipality and a period, reads the selectors (database aggregates) and
writes through ``reports.xlsx`` (write-only, text stays text). ``progress`` is called with a
percentage after each sheet, so the archive page can show how far a background run is.
"""
