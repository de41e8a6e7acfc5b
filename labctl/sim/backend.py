"""The ``@labsim`` pyvisa backend: pyvisa-sim's library with a :class:`SimBench` behind it.

``pyvisa.ResourceManager("@labsim")`` opens the default simulated bench;
``pyvisa.ResourceManager("path/to/bench.yaml@labsim")`` another one. Each new resource manager
gets a fresh bench, so nothing leaks between tests; instruments opened through the same open
resource manager share one device under test and one clock. Reads return the reply in bulk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyvisa import constants
from pyvisa.errors import VisaIOError
from pyvisa.util import LibraryPath
from pyvisa_sim.highlevel import SimVisaLibrary

from labctl.sim.bench import SimBench, default_bench_path
from labctl.sim.clock import SimClock
from labctl.sim.faults import LinkLostError


class LabSimVisaLibrary(SimVisaLibrary):
    """pyvisa library object for ``@labsim``."""

    bench: SimBench

    @staticmethod
    def get_library_paths() -> tuple[LibraryPath]:
        return (LibraryPath(str(default_bench_path())),)

    @staticmethod
    def get_debug_info() -> dict[str, str]:
        from labctl import __version__

        info = dict(SimVisaLibrary.get_debug_info())
        info["labctl"] = __version__
        return info

    def _init(self) -> None:
        self.sessions = {}
        self._build()

    def _build(self) -> None:
        self.bench = SimBench(Path(self.library_path))
        self.devices = self.bench.devices

    @property
    def clock(self) -> SimClock:
        """The simulated clock; labctl's bench uses it instead of the wall clock."""
        return self.bench.clock

    def open_default_resource_manager(self) -> Any:
        # A new resource manager starts from a fresh bench: no state leaks between users.
        self._build()
        return super().open_default_resource_manager()

    def open(self, session: Any, resource_name: str, *args: Any, **kwargs: Any) -> Any:
        new_session, status = super().open(session, resource_name, *args, **kwargs)
        if status != constants.StatusCode.success:
            # pyvisa-sim returns the status without raising; a real VISA library raises.
            raise VisaIOError(status)
        self.sessions[new_session].device.model.on_new_session()
        return new_session, status

    def write(self, session: Any, data: bytes) -> tuple[int, constants.StatusCode]:
        device = self._device(session)
        if device is None:
            raise VisaIOError(constants.StatusCode.error_invalid_object)
        try:
            device.write(data)
        except LinkLostError:
            raise VisaIOError(constants.StatusCode.error_connection_lost) from None
        return len(data), constants.StatusCode.success

    def read(self, session: Any, count: int) -> tuple[bytes, constants.StatusCode]:
        device = self._device(session)
        if device is None:
            raise VisaIOError(constants.StatusCode.error_invalid_object)
        if device.model.faults.disconnected:
            raise VisaIOError(constants.StatusCode.error_connection_lost)
        attrs = self.sessions[session].attrs
        termchar = None
        if attrs.get(constants.ResourceAttribute.termchar_enabled):
            termchar = bytes([attrs[constants.ResourceAttribute.termchar]])
        with self.bench.lock:
            chunk, end = device.read_bulk(count, termchar)
        if not chunk:
            raise VisaIOError(constants.StatusCode.error_timeout)
        if end:
            return chunk, constants.StatusCode.success
        if termchar and chunk.endswith(termchar):
            return chunk, constants.StatusCode.success_termination_character_read
        return chunk, constants.StatusCode.success_max_count_read

    def clear(self, session: Any) -> constants.StatusCode:
        """Device clear (viClear): drop pending replies, as an instrument does on SDC."""
        device = self._device(session)
        if device is None:
            raise VisaIOError(constants.StatusCode.error_invalid_object)
        with self.bench.lock:
            device.clear_output()
            device.model.on_device_clear()
        return constants.StatusCode.success

    def _device(self, session: Any) -> Any:
        sess = self.sessions.get(session)
        return getattr(sess, "device", None)
