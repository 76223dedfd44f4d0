"""Templates for new records and new archives."""
