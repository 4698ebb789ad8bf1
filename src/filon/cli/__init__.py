"""The `filon` command line: one module per command group."""
