"""Sheets as data (spec), written by a backend (openpyxl files here; xlwings in the add-in)."""
