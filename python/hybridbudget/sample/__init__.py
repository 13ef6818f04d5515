"""Sample health-system sources: the bundled Riverbend system or a generated one of any size."""

from .generator import write_actuals, write_sample

__all__ = ["write_actuals", "write_sample"]
