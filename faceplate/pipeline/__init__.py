"""The shot pipeline: spec → analyse → solve → render → report, each stage writing a file."""
