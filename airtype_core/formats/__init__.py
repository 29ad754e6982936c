"""Formats: handwriting files in and out (JSON lines, InkML, UNIPEN, UJI Pen).

Readers yield labelled inks and report each bad record with where it was;
writers stream. Imports `recognition` only.
"""
