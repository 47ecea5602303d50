"""Releases: the CI gate, the build, archives and checksums, the catalog, and getting a release."""
