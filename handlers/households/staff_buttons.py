"""The staff households buttons' callback data: 通过/拒绝 and 解除 (staff.py), 确认导入/取消
(roster_upload.py). One prefix, parsed in `staff.staff_button`, which re-checks every press."""

from __future__ import annotations

PREFIX = "hhs"
ACTIONS = {"ok": 1, "no": 1, "unl": 1, "imp": 0, "impno": 0}
