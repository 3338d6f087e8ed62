"""grader: autograding harness for numpy neural-network course assignments."""

__version__ = "0.1.0"
