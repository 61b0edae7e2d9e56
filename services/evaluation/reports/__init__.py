"""The participation report (R15): per mentor of an institution and per period, the evidence an
institution needs to reward meaningful mentoring — as JSON, CSV, and a PDF per mentor."""
