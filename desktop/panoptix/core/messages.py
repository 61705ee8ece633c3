"""Errors as the one-line messages users see in the status bar and on the command line."""


def one_line(error: BaseException) -> str:
    """The error's message with its whitespace runs (newlines too) joined, else its type."""
    return " ".join(str(error).split()) or type(error).__name__


def plural(count: int, noun: str) -> str:
    """``1 segment``, ``2 segments``, ``1,200 segments``."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")
