"""The exceptions limbic raises, each carrying the Rust error's message.

They subclass Gymnasium's error where Gymnasium has one, and the Python built-in a caller would
expect (``TypeError`` for a keyword argument the environment does not take, ``ValueError`` for
a bad value), so ``except gymnasium.error.NameNotFound`` and ``except ValueError`` both work.
"""

import gymnasium.error


class LimbicError(gymnasium.error.Error):
    """Any other error of a limbic environment."""


class UnknownEnv(LimbicError, gymnasium.error.NameNotFound):
    """No environment is registered under this id (the message suggests the nearest ids)."""


class UnknownKwarg(LimbicError, TypeError):
    """The environment takes no keyword argument of this name (the message lists the valid ones)."""


class BadArgument(LimbicError, ValueError):
    """A keyword argument or reset option has a value the environment refuses."""


class InvalidAction(LimbicError, gymnasium.error.InvalidAction, ValueError):
    """The action is not an element of the action space."""


class ResetNeeded(LimbicError, gymnasium.error.ResetNeeded):
    """step() before reset(), or after the episode ended."""


class UnsupportedMode(LimbicError, gymnasium.error.UnsupportedMode, ValueError):
    """A render mode the environment does not draw."""


class DatasetError(LimbicError, ValueError):
    """A dataset that is missing, damaged (a checksum mismatch, a truncated file) or not in
    Minari's layout; the message names the file and the episode."""
