"""Renderers of reports, diffs and catalog pages; the templates are jinja2 files beside them."""
