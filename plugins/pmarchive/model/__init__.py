"""The typed data: records and taxonomy entries."""
