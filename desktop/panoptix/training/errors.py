"""The errors a training run reports in one line (cheap to import: no torch)."""


class TrainingSetupError(Exception):
    """A base model that cannot be trained here; the message is one line."""


class TrainingError(Exception):
    """The run cannot go on; the message is one line."""
