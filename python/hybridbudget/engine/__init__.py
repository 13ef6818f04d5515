"""The engine: every pure computation of the budget cycle (no file or workbook I/O)."""
