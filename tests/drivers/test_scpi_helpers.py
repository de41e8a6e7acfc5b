"""The IEEE-488.2 block reader, against exact bytes."""

import numpy as np
import pytest
from pymeasure.instruments import Instrument
from pymeasure.test import expected_protocol

from labctl.drivers.scpi import read_ieee_block
from labctl.errors import InstrumentError


def block(payload: bytes) -> bytes:
    size = str(len(payload)).encode()
    return b"#" + str(len(size)).encode() + size + payload + b"\n"


def test_reads_a_little_endian_int16_block():
    data = np.array([-3, 0, 7, 32000], dtype="<i2")
    pairs = [(":WAV:DATA?", block(data.tobytes()))]
    with expected_protocol(Instrument, pairs, name="x", includeSCPI=False) as inst:
        np.testing.assert_array_equal(read_ieee_block(inst, ":WAV:DATA?", "<i2"), data)


def test_rejects_a_reply_that_is_not_a_block():
    with (
        expected_protocol(Instrument, [(":WAV:DATA?", b"1,")], name="x", includeSCPI=False) as inst,
        pytest.raises(InstrumentError, match="definite-length"),
    ):
        read_ieee_block(inst, ":WAV:DATA?", "<i2", terminated=False)
