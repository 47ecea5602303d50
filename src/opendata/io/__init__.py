"""Reading bytes into Arrow: the chunked CSV reader, row maps, digests and encodings."""
