"""Everything the notices capability says (Simplified Chinese)."""

from __future__ import annotations

from knowledge.notices.service import NoticeReport
from knowledge.notices.targets import Target, TargetKind

HELP_LINES = (
    "\n• /broadcast —— 发布通知（私聊）：写内容、预览、选择发送范围、确认",
    "\n• /notices —— 查看已发通知和送达报告，可停止正在发送的通知",
)

COMPOSE = (
    "请发送通知内容：一段文字，或一张图片/一个文件（可附说明文字）。\n"
    "居民看到的就是您发来的样子。随时发送 /cancel 取消。"
)
PRIVATE_ONLY = "请在与我的私聊中使用 /broadcast。"
TOO_LONG = "内容太长了：文字最多 {limit} 字（图片或文件的说明最多 1024 字），请精简后重新发送。"
EMPTY = "通知内容不能为空，请发送文字、图片或文件。"
NOT_CONTENT = "请发送文字、图片或文件作为通知内容，或发送 /cancel 取消。"
PREVIEW_HEAD = "以下是居民将看到的通知："
CHOOSE_TARGET = "请选择发送范围："
TARGET_ALL = "全部群"
TARGET_COMMUNITY = "按小区/楼栋"
TARGET_CHATS = "选择群"
TARGET_SUBSCRIBERS = "订阅了某主题的居民"
NO_COMMUNITIES = "还没有绑定小区/楼栋的群（群里用 /bindgroup 绑定）。请选择其他范围。"
NO_GROUPS = "我还不在任何群里。请选择其他范围。"
PICK_COMMUNITY = "请选择小区或楼栋："
PICK_CHATS = "点选要发送的群（可多选），选好后点「完成」："
PICK_TOPIC = "请选择主题（发给订阅了该主题的居民私聊）："
DONE_PICKING = "完成"
BACK = "返回"
NOTHING_PICKED = "请至少选择一个群。"
NO_RECIPIENTS = "这个范围内没有可以发送的聊天，请重新选择。"
SUMMARY = (
    "请确认：\n范围：{target}\n将发送到 {count} 个聊天\n置顶：{pin}\n紧急：{urgent}\n"
    "（紧急通知优先发送，不受免打扰时段限制）"
)
YES, NO = "是", "否"
TOGGLE_PIN = "置顶：{state}"
TOGGLE_URGENT = "紧急：{state}"
CONFIRM = "确认发送"
CANCEL = "取消"
CANCELLED = "已取消，通知没有发送。"
QUEUED = "通知 #{id} 已开始发送（{count} 个聊天）。完成后我会把送达报告发给您。"
STOP_BUTTON = "停止发送 #{id}"
EXPIRED = "这个操作已过期，请重新发送 /broadcast。"

TOPICS = ("社区通知", "垃圾分类", "消防安全")

NO_NOTICES = "还没有发过通知。"
NOTICES_HEAD = "最近的通知："
NOTICE_LINE = "#{id} {when} {kind}{urgent} → {target}：{status}"
KIND = {"broadcast": "通知", "reminder": "提醒"}
STATE = {"queued": "发送中", "done": "已完成", "cancelled": "已停止"}
SHOW_BUTTON = "报告 #{id}"
NOT_FOUND = "找不到这条通知。"
STOPPED = "通知 #{id} 已停止：{skipped} 个尚未发送的已取消（正在发送的会发完）。"
NOT_RUNNING = "通知 #{id} 已经发送完毕或已停止。"

REASONS = {
    "blocked": "已屏蔽机器人",
    "kicked": "机器人被移出群",
    "deactivated": "账号已注销",
    "not_member": "机器人不在群里",
    "not_started": "居民未开启私聊",
    "not_found": "聊天不存在",
    "forbidden": "无权发送",
    "bad_request": "内容被拒绝",
    "network": "网络错误，多次重试仍失败",
    "migrated": "群已升级，无法跟随",
    "cancelled": "已停止发送",
}

REPORT_HEAD = "📋 通知 #{id} 送达报告（{state}）"
REPORT_COUNTS = "共 {total} 个聊天：已送达 {sent}，失败 {failed}，未发送（已停止）{skipped}"
REPORT_PENDING = "仍在发送：{pending}"
REPORT_TIME = "用时：{seconds}"
REPORT_FAILED = "失败原因："
REPORT_FAILED_LINE = "· {reason}：{count} 个"
REPORT_FAILED_CHAT = "  {chat}"
REPORT_DUPLICATE = (
    "可能重复：{count} 个（机器人中断时正在发送，已补发，居民可能收到两次）：{chats}"
)
REPORT_MIGRATED = "群已升级为超级群并已跟随：{count} 个"
MORE = "等 {count} 个"


def target_label(spec: str) -> str:
    try:
        target = Target.parse(spec)
    except ValueError:
        return spec
    labels = []
    for part in target.parts:
        match part.kind:
            case TargetKind.ALL:
                labels.append("全部群")
            case TargetKind.COMMUNITY:
                labels.append(f"{part.community}的群")
            case TargetKind.BUILDING:
                labels.append(f"{part.community} {part.building}号楼的群")
            case TargetKind.CHATS:
                labels.append(f"选定的 {len(part.chat_ids)} 个聊天")
            case TargetKind.SUBSCRIBERS:
                labels.append(f"订阅「{part.topic}」的居民")
    return "、".join(labels)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f} 秒"
    return f"{int(seconds // 60)} 分 {int(seconds % 60)} 秒"


def _chats(ids: list[str], limit: int = 20) -> str:
    shown = "、".join(ids[:limit])
    return shown + (MORE.format(count=len(ids)) if len(ids) > limit else "")


def report(r: NoticeReport) -> str:
    n = r.notice
    lines = [
        REPORT_HEAD.format(id=n.id, state=STATE.get(n.state, n.state)),
        f"范围：{target_label(n.target)}",
        REPORT_COUNTS.format(total=r.total, sent=r.sent, failed=r.failed, skipped=r.skipped),
    ]
    if r.pending:
        lines.append(REPORT_PENDING.format(pending=r.pending))
    if r.failures:
        lines.append(REPORT_FAILED)
        for reason, count in sorted(r.reasons.items()):
            lines.append(
                REPORT_FAILED_LINE.format(reason=REASONS.get(reason, reason), count=count)
            )
            names = [f.title or str(f.chat_id) for f in r.failures if f.reason == reason]
            lines.append(REPORT_FAILED_CHAT.format(chat=_chats(names, 10)))
    if r.possibly_duplicate:
        ids = [str(c) for c in r.possibly_duplicate]
        lines.append(REPORT_DUPLICATE.format(count=len(ids), chats=_chats(ids)))
    if r.migrated:
        lines.append(REPORT_MIGRATED.format(count=len(r.migrated)))
    lines.append(REPORT_TIME.format(seconds=duration(r.seconds)))
    return "\n".join(lines)
