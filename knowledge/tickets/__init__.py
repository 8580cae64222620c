"""Complaints (投诉/报事) and renovation needs: lifecycle, time limits, duplicates, the
service handlers call, and the export rows. No Telegram, no SQL."""
