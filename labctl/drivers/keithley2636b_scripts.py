"""The TSP helper functions that the Keithley 2636B driver loads once and then calls in one line.

Sweeps on a 2600B need some thirty attribute writes (buffers, source list, trigger model, timers)
and a few must be undone afterwards. Sending them one by one would make the driver's traffic long
and hard to reproduce in a simulator; instead :data:`SCRIPT_LINES` is loaded once as the script
``labctlSweep`` (``loadscript labctlSweep`` … ``endscript``), run once to define the global
functions below, and every sweep is then a single call such as
``labctl_list_sweep(smua, {0,0.5,1}, 0.01)``.

Functions defined on the instrument (all arguments in SI units):

``labctl_list_sweep(smu, levels, dwell)``
    Steps ``smu`` through the table ``levels`` (V or A, in the present source function) with the
    trigger model, measuring current and voltage into ``smu.nvbuffer1`` / ``smu.nvbuffer2`` after
    waiting ``dwell`` seconds from each source step (trigger timer 1). The source range is fixed to
    the largest level for the sweep, so it never glitches on a range change. The output stays at
    the last level, which also becomes the programmed level.
``labctl_pulse_sweep(smu, levels, width, period, bias)``
    Idles at ``bias``, pulses to each level for ``width`` seconds once per ``period`` (timer 1),
    and measures so that the reading ends 60 µs before the pulse does (timer 2; timer 3 ends the
    pulse, ``endpulse.action = SOURCE_IDLE``). Measure delay, autozero and measure autorange are
    set for pulsing (0, once, fixed on the compliance range) and restored afterwards. The output
    is left at ``bias``.
``labctl_print_buffer(smu, n)``
    ``printbuffer(1, n, smu.nvbuffer1.readings, smu.nvbuffer2.readings,
    smu.nvbuffer1.timestamps, smu.nvbuffer1.statuses)`` with ``format.asciiprecision`` raised to
    :data:`BUFFER_PRECISION` digits for this readout only: one line ``I1, V1, t1, status1, I2,
    …`` (``", "``-separated).
``labctl_extend(points, values)``
    Appends the table ``values`` to the table ``points``: a list too long for one message is sent
    as ``labctl_points = {}`` and a series of ``labctl_extend(labctl_points, {...})``.

Both sweeps restore the trigger model (stimuli 0, end-pulse hold, end-sweep idle) and source
autorange, also when they fail; a failure is re-raised so that it lands in the error queue. The
global ``labctl_version`` is set last, so it exists only when the whole script loaded and ran.

The script sticks to Lua 5.0 (``table.getn``, no ``#``), which is what TSP runs.
"""

from __future__ import annotations

#: Name of the script object on the instrument; loading it again replaces it.
SCRIPT_NAME = "labctlSweep"
#: Value of the global ``labctl_version`` once the script ran; change it with any script change.
SCRIPT_VERSION = "labctl-2636b-1"
#: Significant digits of buffer readouts. TSP prints 6 by default, which would leave timestamps
#: of a 100 s sweep with 1 ms resolution and drop the last digit of a 6½-digit reading.
BUFFER_PRECISION = 10
#: Time between the end of a pulse reading and the end of the pulse, s (Keithley's examples use
#: the same 60 µs for the A/D converter to finish before the source returns to the bias).
PULSE_MEASURE_MARGIN = 60e-6

SCRIPT_TEXT = f"""
function labctl_extend(points, values)
  for k = 1, table.getn(values) do
    table.insert(points, values[k])
  end
end
function labctl_set_level(smu, level)
  if smu.source.func == smu.OUTPUT_DCVOLTS then
    smu.source.levelv = level
  else
    smu.source.leveli = level
  end
end
function labctl_prepare(smu, levels, idle)
  local n = table.getn(levels)
  labctl_set_level(smu, idle)
  smu.nvbuffer1.clear()
  smu.nvbuffer2.clear()
  smu.nvbuffer1.collecttimestamps = 1
  smu.nvbuffer1.collectsourcevalues = 0
  smu.nvbuffer2.collecttimestamps = 0
  smu.nvbuffer2.collectsourcevalues = 0
  if n > smu.nvbuffer1.capacity then
    local text = "labctl: %d points exceed the buffer capacity of %d"
    error(string.format(text, n, smu.nvbuffer1.capacity), 0)
  end
  local peak = math.abs(idle)
  for k = 1, n do
    peak = math.max(peak, math.abs(levels[k]))
  end
  if smu.source.func == smu.OUTPUT_DCVOLTS then
    smu.source.autorangev = smu.AUTORANGE_OFF
    smu.source.rangev = peak
    smu.trigger.source.listv(levels)
    smu.trigger.source.limiti = smu.source.limiti
  else
    smu.source.autorangei = smu.AUTORANGE_OFF
    smu.source.rangei = peak
    smu.trigger.source.listi(levels)
    smu.trigger.source.limitv = smu.source.limitv
  end
  smu.trigger.source.action = smu.ENABLE
  smu.trigger.measure.action = smu.ENABLE
  smu.trigger.measure.iv(smu.nvbuffer1, smu.nvbuffer2)
  smu.trigger.arm.count = 1
  smu.trigger.arm.stimulus = 0
  smu.trigger.count = n
end
function labctl_restore(smu)
  smu.trigger.source.stimulus = 0
  smu.trigger.measure.stimulus = 0
  smu.trigger.endpulse.stimulus = 0
  smu.trigger.endpulse.action = smu.SOURCE_HOLD
  smu.trigger.endsweep.action = smu.SOURCE_IDLE
  if smu.source.func == smu.OUTPUT_DCVOLTS then
    smu.source.autorangev = smu.AUTORANGE_ON
  else
    smu.source.autorangei = smu.AUTORANGE_ON
  end
  labctl_points = nil
end
function labctl_run_list(smu, levels, dwell)
  local n = table.getn(levels)
  labctl_prepare(smu, levels, levels[1])
  smu.trigger.source.stimulus = 0
  smu.trigger.endpulse.action = smu.SOURCE_HOLD
  smu.trigger.endpulse.stimulus = 0
  smu.trigger.endsweep.action = smu.SOURCE_HOLD
  if dwell > 0 then
    trigger.timer[1].reset()
    trigger.timer[1].delay = dwell
    trigger.timer[1].count = 1
    trigger.timer[1].passthrough = false
    trigger.timer[1].stimulus = smu.trigger.SOURCE_COMPLETE_EVENT_ID
    smu.trigger.measure.stimulus = trigger.timer[1].EVENT_ID
  else
    smu.trigger.measure.stimulus = 0
  end
  smu.trigger.initiate()
  waitcomplete()
  labctl_set_level(smu, levels[n])
end
function labctl_list_sweep(smu, levels, dwell)
  local ok, message = pcall(labctl_run_list, smu, levels, dwell)
  labctl_restore(smu)
  if not ok then
    error(message, 0)
  end
end
function labctl_run_pulse(smu, levels, width, period, bias)
  local n = table.getn(levels)
  local window = smu.measure.nplc / localnode.linefreq
  local start = width - window - {PULSE_MEASURE_MARGIN:g}
  if start < 1e-6 then
    local text = "labctl: width %g s is too short for one reading at nplc %g (%g s)"
    error(string.format(text, width, smu.measure.nplc, window + {PULSE_MEASURE_MARGIN:g}), 0)
  end
  labctl_prepare(smu, levels, bias)
  smu.measure.delay = 0
  smu.measure.autozero = smu.AUTOZERO_ONCE
  if smu.source.func == smu.OUTPUT_DCVOLTS then
    if smu.measure.autorangei == smu.AUTORANGE_ON then
      smu.measure.autorangei = smu.AUTORANGE_OFF
      smu.measure.rangei = smu.source.limiti
    end
  else
    if smu.measure.autorangev == smu.AUTORANGE_ON then
      smu.measure.autorangev = smu.AUTORANGE_OFF
      smu.measure.rangev = smu.source.limitv
    end
  end
  trigger.timer[1].reset()
  trigger.timer[1].delay = period
  trigger.timer[1].count = math.max(n - 1, 1)
  trigger.timer[1].passthrough = true
  trigger.timer[1].stimulus = smu.trigger.ARMED_EVENT_ID
  trigger.timer[2].reset()
  trigger.timer[2].delay = start
  trigger.timer[2].count = 1
  trigger.timer[2].passthrough = false
  trigger.timer[2].stimulus = trigger.timer[1].EVENT_ID
  trigger.timer[3].reset()
  trigger.timer[3].delay = width
  trigger.timer[3].count = 1
  trigger.timer[3].passthrough = false
  trigger.timer[3].stimulus = trigger.timer[1].EVENT_ID
  smu.trigger.source.stimulus = trigger.timer[1].EVENT_ID
  smu.trigger.measure.stimulus = trigger.timer[2].EVENT_ID
  smu.trigger.endpulse.stimulus = trigger.timer[3].EVENT_ID
  smu.trigger.endpulse.action = smu.SOURCE_IDLE
  smu.trigger.endsweep.action = smu.SOURCE_IDLE
  smu.trigger.initiate()
  waitcomplete()
end
function labctl_pulse_sweep(smu, levels, width, period, bias)
  local delay = smu.measure.delay
  local autozero = smu.measure.autozero
  local autorangei = smu.measure.autorangei
  local autorangev = smu.measure.autorangev
  local ok, message = pcall(labctl_run_pulse, smu, levels, width, period, bias)
  smu.measure.delay = delay
  smu.measure.autozero = autozero
  smu.measure.autorangei = autorangei
  smu.measure.autorangev = autorangev
  labctl_restore(smu)
  if not ok then
    error(message, 0)
  end
end
function labctl_print_buffer(smu, n)
  local b1, b2 = smu.nvbuffer1, smu.nvbuffer2
  local precision = format.asciiprecision
  format.asciiprecision = {BUFFER_PRECISION}
  local ok, message = pcall(printbuffer, 1, n, b1.readings, b2.readings, b1.timestamps, b1.statuses)
  format.asciiprecision = precision
  if not ok then
    error(message, 0)
  end
end
labctl_version = "{SCRIPT_VERSION}"
"""

#: The script as sent: one message per line, without indentation or blank lines.
SCRIPT_LINES: tuple[str, ...] = tuple(
    line.strip() for line in SCRIPT_TEXT.splitlines() if line.strip()
)


def load_messages() -> list[str]:
    """Every message that loads and runs the script, in order (none of them has a reply)."""
    return [f"loadscript {SCRIPT_NAME}", *SCRIPT_LINES, "endscript", f"{SCRIPT_NAME}()"]
