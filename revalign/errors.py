"""The base error: its message is the one line the command line prints."""


class RevalignError(Exception):
    """A failure the user can act on; ``str(err)`` says what happened and what to do."""
