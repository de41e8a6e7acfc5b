"""Pure physics functions of the live analysis, SI units in and out.

Modules:

* :mod:`labctl.analysis.results` — shared result type (:class:`AnalysisResult`, :class:`Quantity`).
* :mod:`labctl.analysis.smoothing` — log-log resampling and Savitzky–Golay local slopes.
* :mod:`labctl.analysis.sclc` — space-charge-limited current: V_TFL, trap density, mobility.
* :mod:`labctl.analysis.solar` — solar-cell J–V: Voc, Jsc, FF, PCE, MPP, Rs, Rsh, hysteresis.
* :mod:`labctl.analysis.jvl` — LED J–V–L: turn-on voltage, current efficiency, EQE, roll-off.
* :mod:`labctl.analysis.spectra` — vectorised spectral features: peak, centroid, FWHM, second peak.
"""
