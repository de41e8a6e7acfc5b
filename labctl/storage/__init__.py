"""Run files (HDF5) and CSV import/export."""
