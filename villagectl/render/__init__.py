"""Printed documents: jinja2 templates → typst → PDF."""
