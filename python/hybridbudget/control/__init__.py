"""The control workbook: finance's single place for guardrails, organization, history and targets."""
