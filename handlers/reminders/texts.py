"""Everything the reminders feature says, in one place for review."""

from __future__ import annotations

from datetime import datetime, tzinfo

from knowledge.notices.schedules import Schedule, ScheduleKind

HELP_LINES = (
    "\n• /reminders —— 定时提醒：列表、新建、暂停、恢复、删除、发给自己测试",
    "\n• /reminders exclude 垃圾分类 —— 在群里发：本群不再收这个主题的提醒（include 恢复）",
)
COMMAND_REMINDERS = "工作人员：定时提醒"
COMMAND_SUBSCRIBE = "订阅/退订提醒"
COMMAND_TODAY = "今天有什么提醒"

# --- residents --------------------------------------------------------------------------
SUBSCRIBE_PANEL = (
    "订阅提醒\n点主题可以订阅或退订（✅ 表示已订阅），提醒会私聊发给您：\n{lines}\n\n"
    "晚上 {quiet} 不打扰，早上再发。"
)
SUBSCRIBE_PANEL_NO_QUIET = (
    "订阅提醒\n点主题可以订阅或退订（✅ 表示已订阅），提醒会私聊发给您：\n{lines}"
)
TOPIC_LINE_ON = "✅ {topic}"
TOPIC_LINE_OFF = "⬜ {topic}"
TOPIC_HINTS = {
    "垃圾分类": "垃圾分类：投放时间、怎么分",
    "消防安全": "消防安全：电动车充电、楼道杂物、用火用气",
    "社区通知": "社区通知：停水停电、检查、公示",
}
DONE_BUTTON = "完成"
SUBSCRIBED_DONE = "好的，已保存。随时发送 /subscribe 修改。"
SUBSCRIBE_CANCELLED = "已退出订阅设置，原来的订阅不变。"
SUBSCRIBE_PRIVATE_ONLY = "订阅提醒请到和我的私聊里设置：点我的头像，发送 /subscribe。"
SUBSCRIBED = "已订阅「{topic}」"
UNSUBSCRIBED = "已退订「{topic}」"
UNSUBSCRIBED_FOOTER = "已退订「{topic}」提醒，以后不再私聊发给您。想重新订阅，发送 /subscribe。"
FOOTER = "——\n不想再收「{topic}」提醒？点下面的按钮一键退订，或发送 /subscribe 管理。"
FOOTER_BUTTON = "退订「{topic}」"
STALE_BUTTON = "这个按钮已失效，请发送 /subscribe 重新打开。"

TODAY_TITLE = "今天（{day}）的提醒："
TODAY_LINE = "{time} {title}{state}"
TODAY_SENT = "（已发）"
TODAY_SKIPPED = "（已跳过）"
TODAY_NONE = "今天没有安排提醒。"
TODAY_SUBSCRIBE_HINT = "\n\n想私聊收到提醒，发送 /subscribe 订阅。"

# --- staff ------------------------------------------------------------------------------
PRIVATE_ONLY = "请在和我的私聊或工作人员群里管理提醒。"
LIST_TITLE = "定时提醒（共 {count} 条）："
LIST_EMPTY = "还没有定时提醒。点下面的按钮新建一条。"
LIST_LINE = (
    "#{id} {state}【{topic}】{schedule}\n    发给：{target}\n    下次：{next_run}\n    {preview}"
)
STATE_ON = "▶️"
STATE_OFF = "⏸ 已暂停"
NEXT_NONE = "无（已结束）"
NEXT_PAUSED = "暂停中"
BUTTON_ADD = "➕ 新建提醒"
BUTTON_PAUSE = "⏸ #{id}"
BUTTON_RESUME = "▶️ #{id}"
BUTTON_DELETE = "🗑 #{id}"
BUTTON_TEST = "🧪 #{id}"
BUTTON_DELETE_OK = "确认删除 #{id}"
BUTTON_KEEP = "不删了"
USAGE = (
    "用法：\n/reminders —— 列表\n/reminders add —— 新建\n"
    "/reminders pause|resume|delete|test 编号\n"
    "/reminders exclude|include 主题 —— 在群里发，本群不收/恢复收这个主题"
)
NOT_FOUND = "没有编号为 {id} 的提醒。"
PAUSED = "提醒 #{id} 已暂停。"
RESUMED = "提醒 #{id} 已恢复，下次：{next_run}。暂停期间错过的不补发。"
ALREADY = "提醒 #{id} 本来就是这个状态。"
DELETE_ASK = "确定删除提醒 #{id}？\n{preview}"
DELETED = "提醒 #{id} 已删除。"
KEPT = "好的，没有删除。"
TEST_QUEUED = "测试已排队，马上私聊发给您（通知 #{notice_id}）。"
TEST_FAILED = "测试发送失败，请稍后再试。"
EXCLUDE_GROUP_ONLY = "这个命令要在要设置的群里发送。"
UNKNOWN_TOPIC = "没有这个主题。可用的主题：{topics}"
EXCLUDED = "好的，本群不再收到「{topic}」提醒。发送 /reminders include {topic} 可以恢复。"
EXCLUDED_ALREADY = "本群已经不收「{topic}」提醒了。"
INCLUDED = "好的，本群恢复接收「{topic}」提醒。"
INCLUDED_ALREADY = "本群本来就会收到「{topic}」提醒。"

# the guided add flow
ADD_CHOOSE_TEMPLATE = (
    "新建提醒（第 1 步，共 5 步）：选一个模板，或者自己写。随时发送 /cancel 退出。"
)
BUTTON_OWN_TEXT = "✏️ 自己写"
ADD_TEMPLATE_CHOSEN = "已选模板「{title}」：\n\n{text}"
ADD_ASK_TEXT = "请发送提醒的文字（不超过 {limit} 字）。"
ADD_NEED_TEXT = "请用文字发送提醒内容，或发送 /cancel 退出。"
ADD_TEXT_TOO_LONG = "太长了（{length} 字），请控制在 {limit} 字以内。"
ADD_ASK_SCHEDULE = (
    "第 2 步：什么时候发？请按下面的格式发送（时间按 {tz}）：\n"
    "每天 07:30\n每周 一,四 19:00\n每月 1 09:00\n一次 2025-05-01 08:00\n"
    "cron 0 8 * * 1（标准 cron 表达式）\n"
    "也可以这样写：每周二 19:00、每个工作日 早上8点、每月1号 9点、每天晚上7点半"
)
BUTTON_SUGGESTED = "用建议时间：{schedule}"
ADD_BAD_SCHEDULE = (
    "看不懂这个时间。请按示例的格式再发一次，例如：每天 07:30、每周二 19:00、每月1号 9点"
)
ADD_PAST_SCHEDULE = "这个时间已经过去了，以后不会再发。请换一个时间。"
ADD_ASK_TARGET = "第 3 步：发给谁？点按钮，或直接发送目标（如 community:幸福小区）。"
TARGET_CHOICES = ("所有已绑定的群", "所有群＋订阅的居民", "只发给订阅的居民")
ADD_BAD_TARGET = "看不懂这个目标。可以写：all、community:小区、building:小区/楼栋、chat:群ID"
ADD_ASK_TOPIC = "第 4 步：属于哪个主题？（居民按主题订阅，群也可以按主题退出）"
ADD_CONFIRM = (
    "第 5 步：请确认\n主题：{topic}\n时间：{schedule}\n发给：{target}\n下次：{next_run}\n"
    "晚上 {quiet} 之间的提醒会等到早上再发。\n\n{text}"
)
ADD_CONFIRM_NO_QUIET = (
    "第 5 步：请确认\n主题：{topic}\n时间：{schedule}\n发给：{target}\n下次：{next_run}\n\n{text}"
)
BUTTON_CONFIRM = "✅ 确认创建"
BUTTON_CANCEL = "取消"
ADD_DONE = "已创建提醒 #{id}，下次发送：{next_run}。"
ADD_CANCELLED = "已取消新建提醒。"
ADD_EXPIRED = "这一步已经过期，请发送 /reminders add 重新开始。"

WEEKDAYS = "一二三四五六日"
_DAY_INDEX = {"MON": 0, "TUE": 1, "WED": 2, "THU": 3, "FRI": 4, "SAT": 5, "SUN": 6}


def describe_schedule(schedule: Schedule) -> str:
    spec = schedule.spec
    match schedule.kind:
        case ScheduleKind.DAILY:
            return f"每天 {spec}"
        case ScheduleKind.WEEKLY:
            days, _, clock = spec.partition("@")
            names = "、".join(WEEKDAYS[_DAY_INDEX[d]] for d in days.split(","))
            return f"每周{names} {clock}"
        case ScheduleKind.MONTHLY:
            day, _, clock = spec.partition("@")
            return f"每月最后一天 {clock}" if day == "LAST" else f"每月{day}日 {clock}"
        case ScheduleKind.CRON:
            return f"cron：{spec}"
        case ScheduleKind.ONCE:
            return f"仅一次：{spec[:16]}"


def describe_target(spec: str) -> str:
    names = []
    for part in spec.split("+"):
        head, _, rest = part.partition(":")
        if head == "all":
            names.append("所有已绑定的群")
        elif head == "community":
            names.append(f"{rest}的所有群")
        elif head == "building":
            community, _, building = rest.partition("/")
            names.append(f"{community}{building}号楼的群")
        elif head == "chat":
            names.append(f"指定的群（{rest}）")
        elif head == "subscribers":
            names.append(f"订阅「{rest}」的居民")
        else:
            names.append(part)
    return "＋".join(names)


def when(moment: datetime | None, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%m-%d %H:%M") if moment else NEXT_NONE


def preview(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


RESIDENT_HELP_LINES = (
    "\n• /subscribe —— 订阅垃圾分类、消防安全等提醒（每条提醒下面可一键退订）",
    "\n• /today —— 今天有什么提醒",
)
