"""Authoring lints over typed records: blameless wording, credentials, structure."""
