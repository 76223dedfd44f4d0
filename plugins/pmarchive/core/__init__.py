"""Shared by every stage: the run's day, calendar arithmetic, located diagnostics,
did-you-mean suggestions and credential detection."""
