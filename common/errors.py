"""Errors that are the user's to fix, reported as one line instead of a traceback."""


class UserError(Exception):
    """A mistake in the command line, the data or the output folder.

    The message says what is wrong and what to do; scripts print it and exit
    with status 2 (as argparse does for a bad flag).
    """

    exit_code = 2
