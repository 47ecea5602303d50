"""Versions of a package: semantic versions, where a version comes from, and the diff between two."""
