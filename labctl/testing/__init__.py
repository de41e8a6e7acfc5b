"""Helpers for testing drivers and procedures without hardware. Runtime code never imports this."""

from labctl.testing.recording import EchoResponder, RecordingAdapter

__all__ = ["EchoResponder", "RecordingAdapter"]
