"""Exceptions that labctl raises on purpose, so callers can tell them from bugs."""


class LabctlError(Exception):
    """Base class of every error labctl raises deliberately."""


class ParameterError(LabctlError, ValueError):
    """A parameter is missing, has the wrong unit, or lies outside its allowed range.

    The message always names the parameter and the allowed range.
    """


class LimitError(ParameterError):
    """A request would exceed the sample's limits; nothing was sent to any instrument."""


class BenchError(LabctlError):
    """The bench file is wrong, or lacks a role that a procedure needs."""


class InstrumentError(LabctlError):
    """An instrument reported an error, or answered something that cannot be parsed."""


class NotSupportedError(LabctlError, NotImplementedError):
    """The instrument model cannot do what was asked (for example, pulsed sourcing on a 2400)."""


class SafeStopError(LabctlError):
    """The safe stop could not confirm that the output is at zero and off.

    This is the one error a user must act on at the bench: the sample may still be biased.
    """
