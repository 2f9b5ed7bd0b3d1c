"""The sample account shipped with the project (see README.md in this directory)."""
