"""newsqa: answer questions about news articles, every claim cited to its passage."""

__version__ = "0.1.0"
