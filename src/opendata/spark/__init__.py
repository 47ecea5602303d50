"""The Spark engine: the same validation as the local engine, run as Spark jobs (`--engine spark`)."""
