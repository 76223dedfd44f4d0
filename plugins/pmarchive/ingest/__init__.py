"""Files to validated records: strict YAML, front-matter fields, the taxonomy, the
archive loader, settings and audiences."""
