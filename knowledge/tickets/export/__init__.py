"""Exports for the street office, through the one spreadsheet writer
(`knowledge/spreadsheet.py`, which keeps formula-like cells from running):

- `complaints`: the complaint log and its event history, streamed in batches;
- `rows`: one ticket / one history entry as cells, and how staff are named in them
  ("网格员小张（901）");
- `needs`: the renovation demand list, per item and per building.

Residents are named by a stable pseudonym (居民编号) and by name with a masked phone; the
full phone only when the caller asks (`with_contact`). Importers say
`from knowledge.tickets.export import ...`.
"""

from __future__ import annotations

from knowledge.tickets.export.complaints import (
    BATCH_SIZE,
    ComplaintSelection,
    ExportResult,
    events_path,
    export_complaints,
    stored_staff_names,
    write_complaints,
)
from knowledge.tickets.export.needs import (
    BUILDING_HEADERS,
    BUILDING_SHEET,
    SUMMARY_HEADERS,
    SUMMARY_SHEET,
    UNLINKED,
    buildings_path,
    export_needs,
    needs_sheets,
    write_needs,
)
from knowledge.tickets.export.rows import (
    COMPLAINT_HEADERS,
    COMPLAINT_SHEET,
    COMPLAINT_WIDTHS,
    EVENT_HEADERS,
    EVENT_SHEET,
    EVENT_WIDTHS,
    StaffNamer,
    complaint_row,
    event_row,
    location_cell,
    resident_cell,
    staff_label,
    staff_namer,
)

__all__ = [
    "BATCH_SIZE",
    "BUILDING_HEADERS",
    "BUILDING_SHEET",
    "COMPLAINT_HEADERS",
    "COMPLAINT_SHEET",
    "COMPLAINT_WIDTHS",
    "EVENT_HEADERS",
    "EVENT_SHEET",
    "EVENT_WIDTHS",
    "SUMMARY_HEADERS",
    "SUMMARY_SHEET",
    "UNLINKED",
    "ComplaintSelection",
    "ExportResult",
    "StaffNamer",
    "buildings_path",
    "complaint_row",
    "event_row",
    "events_path",
    "export_complaints",
    "export_needs",
    "location_cell",
    "needs_sheets",
    "resident_cell",
    "staff_label",
    "staff_namer",
    "stored_staff_names",
    "write_complaints",
    "write_needs",
]
