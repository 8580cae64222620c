"""The complaint log's rows: one ticket under COMPLAINT_HEADERS, one history entry under
EVENT_HEADERS. Plain functions over the repository's dataclasses, no I/O.

Staff are named as knowledge/staff_names.py says: "网格员小张（901）", or the id alone.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from knowledge.households.addressing import mask_phone
from knowledge.households.linking import FORGOTTEN
from knowledge.staff_names import StaffNamer as StaffNamer
from knowledge.staff_names import staff_label as staff_label
from knowledge.staff_names import staff_namer as staff_namer
from knowledge.tickets.categories import Catalog
from knowledge.tickets.lifecycle import (
    RATING_LABELS,
    REJECT_REASON_LABELS,
    Action,
    RatingOutcome,
    RejectReason,
    Status,
)
from knowledge.tickets.sla import missed_deadline
from storage.tickets_repo import Event, Ticket

COMPLAINT_SHEET = "投诉工单"
EVENT_SHEET = "处理记录"
COMPLAINT_HEADERS = (
    "编号",
    "提交时间",
    "类别",
    "内容",
    "位置",
    "状态",
    "处理人",
    "首次响应时间",
    "办结时间",
    "处理时长(小时)",
    "是否超时",
    "重开次数",
    "同问人数",
    "评价",
    "评分",
    "居民编号",
    "居民",
    "照片数",
)
COMPLAINT_WIDTHS = (18, 20, 12, 50, 28, 8, 24, 20, 20, 12, 8, 8, 8, 10, 6, 14, 22, 8)
EVENT_HEADERS = ("编号", "时间", "操作", "操作人", "原状态", "新状态", "说明", "驳回原因")
EVENT_WIDTHS = (18, 20, 14, 24, 10, 10, 50, 18)


def _local(moment: datetime | None, tz: tzinfo) -> datetime | None:
    return moment.astimezone(tz).replace(tzinfo=None) if moment else None


def resident_cell(ticket: Ticket, with_contact: bool) -> str:
    """Name and phone (masked unless `with_contact`); 已注销居民 once they left."""
    if ticket.reporter_id is None and ticket.channel == "bot":
        return FORGOTTEN
    name = ticket.reporter_name or "居民"
    if ticket.channel == "phone":
        name += "（电话）"
    if ticket.phone:
        return f"{name} {ticket.phone if with_contact else mask_phone(ticket.phone)}"
    return name


def location_cell(ticket: Ticket) -> str:
    parts = [ticket.location_text] if ticket.location_text else []
    if ticket.latitude is not None and ticket.longitude is not None:
        parts.append(f"({ticket.latitude:.5f}, {ticket.longitude:.5f})")
    return " ".join(parts)


def complaint_row(
    ticket: Ticket,
    *,
    catalog: Catalog,
    tz: tzinfo,
    now: datetime,
    resident_key: str,
    with_contact: bool = False,
    staff_name: StaffNamer = str,
) -> list[object]:
    """One ticket as the cells under COMPLAINT_HEADERS."""
    hours = (
        round((ticket.resolved_at - ticket.created_at).total_seconds() / 3600, 1)
        if ticket.resolved_at
        else None
    )
    late = missed_deadline(
        first_response_at=ticket.first_response_at,
        first_response_due=ticket.first_response_due,
        resolved_at=ticket.resolved_at or ticket.closed_at,
        resolve_due=ticket.resolve_due,
        now=now,
    )
    outcome = RATING_LABELS[RatingOutcome(ticket.rating_outcome)] if ticket.rating_outcome else ""
    return [
        ticket.number,
        _local(ticket.created_at, tz),
        catalog.label(ticket.category),
        ticket.description,
        location_cell(ticket),
        Status(ticket.status).label,
        staff_name(ticket.assignee_id) if ticket.assignee_id is not None else "",
        _local(ticket.first_response_at, tz),
        _local(ticket.resolved_at, tz),
        hours,
        "是" if late else "否",
        ticket.reopen_count,
        ticket.follower_count,
        outcome,
        ticket.rating_stars,
        resident_key,
        resident_cell(ticket, with_contact),
        len(ticket.photos),
    ]


def _actor_cell(event: Event, staff_name: StaffNamer) -> str:
    if event.actor_role == "system":
        return "系统"
    if event.actor_role == "resident":
        return "居民" if event.actor_id is not None else FORGOTTEN
    return staff_name(event.actor_id) if event.actor_id is not None else "工作人员"


def event_row(
    number: str, event: Event, *, tz: tzinfo, staff_name: StaffNamer = str
) -> list[object]:
    """One history entry as the cells under EVENT_HEADERS."""
    reason = ""
    if event.action == Action.REJECT.value and event.reason:
        reason = REJECT_REASON_LABELS.get(RejectReason(event.reason), event.reason)
    note = event.note
    if event.action == Action.ASSIGN.value and event.assignee_id is not None:
        note = f"指派给 {staff_name(event.assignee_id)}" + (f"：{note}" if note else "")
    return [
        number,
        _local(event.at, tz),
        Action(event.action).label,
        _actor_cell(event, staff_name),
        Status(event.from_status).label if event.from_status else "",
        Status(event.to_status).label,
        note,
        reason,
    ]
