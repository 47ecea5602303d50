"""Declared checks on Spark: pandera.pyspark schemas, Spark SQL evaluators, their findings."""
