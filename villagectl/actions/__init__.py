"""One module per command: the library functions the CLI calls (and scripts may call)."""
