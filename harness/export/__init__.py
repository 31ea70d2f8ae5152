"""Exports of run records to experiment trackers (``mmrepro export``)."""
