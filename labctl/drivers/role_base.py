"""What every role implementation shares: a name, the instrument's lock, the bench clock and a way
to reconnect after a lost connection.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from labctl.clock import WALL_CLOCK, Clock
from labctl.errors import LabctlError

log = logging.getLogger(__name__)

#: Factory that opens a fresh connection (a pymeasure adapter) to the same instrument.
Reconnector = Callable[[], Any]


class RoleBase:
    """Common plumbing of a role object wrapped around one pymeasure instrument."""

    def __init__(
        self,
        instrument: Any,
        *,
        name: str | None = None,
        lock: threading.RLock | None = None,
        clock: Clock = WALL_CLOCK,
        reconnect: Reconnector | None = None,
    ) -> None:
        self.instrument = instrument
        self._name = name or getattr(instrument, "name", type(self).__name__)
        self.lock = lock if lock is not None else threading.RLock()
        self.clock = clock
        self._reconnect = reconnect

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._name!r}>"

    def identify(self) -> str:
        with self.lock:
            return str(self.instrument.ask("*IDN?")).strip()

    def reconnect(self) -> None:
        """Replace the instrument's connection with a fresh one to the same address."""
        if self._reconnect is None:
            raise LabctlError(f"{self.name}: no way to reconnect was given to this role")
        with self.lock:
            # Open the new link first: if that fails, the role keeps the old one to retry with.
            fresh = self._reconnect()
            old, self.instrument.adapter = self.instrument.adapter, fresh
            try:
                old.close()
            except Exception:  # the old link is already broken; closing it is a courtesy
                log.debug("closing the broken connection of %s failed", self.name, exc_info=True)
            log.warning("%s: reconnected", self.name)

    def close(self) -> None:
        with self.lock:
            self.instrument.adapter.close()
