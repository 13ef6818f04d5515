"""A health system's text sources (docs/data-formats.md) read into domain models."""
