"""The command-line doors: each parses its arguments, calls the package and returns an exit code."""
