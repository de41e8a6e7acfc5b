"""The sample's safety: limits checked before I/O, and the safe stop on every exit path."""

from labctl.safety.generator_guard import LimitedFunctionGenerator
from labctl.safety.guard import LimitedSourceMeter
from labctl.safety.limits import SampleLimits
from labctl.safety.safe_stop import guarded_outputs, stop_outputs, stop_source_meter
from labctl.safety.signals import Terminated, sigterm_raises

__all__ = [
    "LimitedFunctionGenerator",
    "LimitedSourceMeter",
    "SampleLimits",
    "Terminated",
    "guarded_outputs",
    "sigterm_raises",
    "stop_outputs",
    "stop_source_meter",
]
