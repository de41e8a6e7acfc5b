"""The ``@labsim`` pyvisa backend (pyvisa looks backends up as the module ``pyvisa_<name>``)."""

from labctl.sim.backend import LabSimVisaLibrary

WRAPPER_CLASS = LabSimVisaLibrary

__all__ = ["WRAPPER_CLASS"]
