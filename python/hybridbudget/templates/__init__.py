"""Driver templates: one protected one-page workbook per cost center (step 2)."""
