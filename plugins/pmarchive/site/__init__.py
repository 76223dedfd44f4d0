"""Pages, charts, templates, assets and data files generated from the archive."""
