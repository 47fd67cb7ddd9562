"""The errors schemadoctor raises; the CLI maps each to one sentence and exit code 2."""

from __future__ import annotations


class SchemaDoctorError(Exception):
    """Base class: the message is one sentence that says what went wrong and what to do."""

    exit_code = 2


class ConfigurationError(SchemaDoctorError):
    """The options, the URL or a configuration file are wrong."""


class ModelsLoadError(SchemaDoctorError):
    """The models could not be imported, or hold no tables."""


class DatabaseUnreachableError(SchemaDoctorError):
    """Connecting to the database failed."""


class ReflectionError(SchemaDoctorError):
    """Reading the database's catalog failed."""


class UnsupportedConstructError(SchemaDoctorError):
    """The models or the database use something schemadoctor cannot compare or plan."""


class DestructiveFixRefused(SchemaDoctorError):
    """The fix needs --allow-destructive."""

    exit_code = 3


class ApplyFailedError(SchemaDoctorError):
    """Applying the fix failed; ``ran`` and ``not_run`` list the statements on each side."""

    def __init__(
        self, message: str, ran: list[str] | None = None, not_run: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.ran = list(ran or [])
        self.not_run = list(not_run or [])
