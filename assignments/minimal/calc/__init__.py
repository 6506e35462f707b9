"""A tiny package for testing the grader."""
