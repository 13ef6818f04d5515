"""Intake of submitted templates: safe file reading, checks, findings (step 3a)."""
