"""Table Schema rules: the schema itself, cell types, constraints, keys and file integrity."""
