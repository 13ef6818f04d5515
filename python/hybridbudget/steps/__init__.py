"""One module per step of the budget cycle; CLI commands and ribbon buttons call these."""
