"""The structural layer (header, cells, constraints, keys) as Spark jobs."""
