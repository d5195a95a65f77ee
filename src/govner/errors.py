"""User-facing errors: the CLI prints their message without a traceback."""


class GovnerError(Exception):
    """An error whose message is meant for the user (names the file, key or offset at fault)."""
