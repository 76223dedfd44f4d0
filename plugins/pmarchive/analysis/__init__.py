"""Pure aggregations of validated records: grouping and the program-level figures."""
