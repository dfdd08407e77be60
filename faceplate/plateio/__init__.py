"""Plate input and output: frame sequences, reading frames, writing frames atomically."""
