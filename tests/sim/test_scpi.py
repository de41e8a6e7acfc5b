"""SCPI normalisation: long and short forms, optional nodes, case, compound messages."""

import pytest

from labctl.sim.scpi import ScpiParser, short_form


@pytest.mark.parametrize(
    ("word", "short"),
    [("VOLTage", "VOLT"), ("SOURce", "SOUR"), ("DELay", "DEL"), ("LEVel", "LEV"),
     ("WAVeform", "WAV"), ("ACQuire", "ACQ"), ("CHANnel2", "CHAN2"), ("NPLCycles", "NPLC"),
     ("SOUR", "SOUR"), ("trailing", "TRA"), ("outp", "OUTP")],
)
def test_short_forms(word, short):
    assert short_form(word) == short


def texts(message, optional=("LEV", "IMM")):
    return [c.text for c in ScpiParser(optional).parse(message)]


def test_long_short_and_optional_nodes_reduce_to_one_form():
    expected = ["SOUR:VOLT 1"]
    assert texts(":SOURce:VOLTage:LEVel:IMMediate 1") == expected
    assert texts("sour:volt 1") == expected
    assert texts(":SOUR:VOLT:LEV 1") == expected


def test_compound_messages_with_relative_headers_and_empty_segments():
    assert texts(":SOUR:VOLT 1;CURR 2") == ["SOUR:VOLT 1", "SOUR:CURR 2"]
    assert texts(":SENS:FUNC 'CURR';:SENS:CURR:NPLC 1.000000;") == [
        "SENS:FUNC 'CURR'",
        "SENS:CURR:NPLC 1.000000",
    ]
    assert texts("*RST;*IDN?") == ["*RST", "*IDN?"]


def test_quoted_semicolons_and_commas_stay_inside_their_argument():
    (command,) = ScpiParser().parse(":TRAC:DATA? 1, 5, 'def;buf', READ")
    assert command.query and command.args == ("1", "5", "'def;buf'", "READ")
