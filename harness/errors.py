"""Errors that mean "the user asked for something wrong": the CLI prints them without a traceback."""


class UserError(Exception):
    """Bad input from the user (unknown name, malformed file, bad option). CLI exit code 2."""


class DataUnavailableError(UserError):
    """A task's dataset has not been prepared on this machine; the message says how to prepare it."""

    def __init__(self, dataset: str, hint: str) -> None:
        self.dataset = dataset
        self.hint = hint
        super().__init__(f"dataset {dataset!r} is not prepared here. {hint}")
