"""Command-line interface (typer): thin layer over villagectl.actions."""
