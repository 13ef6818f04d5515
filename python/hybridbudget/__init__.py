"""hybridbudget: hybrid (top-down + bottom-up) hospital budgeting engine."""

__version__ = "0.1.0"
