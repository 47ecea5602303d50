"""Reading bytes into Arrow: the reading plan, the chunked CSV reader, conversions, row maps, digests, encodings, safe unzip."""
