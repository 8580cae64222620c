"""Everything the foundation says to residents and staff, in one place for review."""

from __future__ import annotations

# Main menu: (key, label). Keys double as /start deep-link payloads.
MENU_ITEMS: list[tuple[str, str]] = [
    ("ask", "政策问答"),
    ("complain", "我要投诉"),
    ("renovate", "改造需求"),
    ("tickets", "我的工单"),
    ("remind", "订阅提醒"),
    ("vote", "参与投票"),
    ("me", "我的房屋"),
]
MENU_LABELS = {key: label for key, label in MENU_ITEMS}
# Flows that collect personal details run in a private chat, never in the group.
PRIVATE_ONLY = {"complain", "renovate", "tickets", "remind", "vote", "me"}

WELCOME = (
    "您好！我是{community}的社区助手 🏠\n"
    "可以帮您：查政策、报问题、提改造需求、订阅提醒、参与投票。\n"
    "请点下面的按钮，或者直接打字提问。"
)
MENU_TITLE = "请选择您要办的事："
GROUP_MENU_NOTE = "（投诉、工单、投票等涉及个人信息的事项，请点按钮到私聊里办理）"

HELP_RESIDENT = (
    "使用帮助\n"
    "• 直接发文字提问，例如：“电动车能在楼道充电吗”\n"
    "• /menu 打开主菜单\n"
    "• /ask 问题 —— 在群里提问（也可以 @我 或回复我的消息）\n"
    "• /start 重新开始"
)
HELP_RESIDENT_TAIL = "\n看不懂或答不上来的问题，我会转给社区工作人员。"
HELP_STAFF = "\n\n工作人员命令"

FEATURE_PENDING = (
    "「{label}」功能正在建设中，很快就能用。现在可以先用「政策问答」，或联系社区工作人员。"
)
GO_PRIVATE = "这项事务涉及个人信息，请点下面的按钮，到和我的私聊里办理："
GO_PRIVATE_BUTTON = "去私聊办理"

NOT_STAFF = "抱歉，这个操作只有社区工作人员可以使用。"
NOT_ADMIN = "抱歉，只有管理员可以管理工作人员名单。"
NOT_IN_GROUP = "这个命令会列出群或人员信息，请在和我的私聊或工作人员群里使用。"
RATE_LIMITED = "您发得太快了，请稍等一分钟再发。急事请直接联系社区工作人员。"

NOTHING_TO_CANCEL = "当前没有进行中的操作。"
UNKNOWN_COMMAND = "没有这个命令。发送 /help 查看能用的命令，或直接打字提问。"
NON_TEXT = "我目前只能看懂文字消息，请用文字描述您的问题 🙏"
ERROR = "抱歉，刚才出了点问题，请稍后再试。急事请直接联系社区工作人员。"
GROUP_GREETING = (
    "大家好！我是{community}的社区助手。在群里 @我 或回复我的消息就能提问，发送 /menu 打开菜单。"
)
STALE_BUTTON = "这个按钮已失效，请发送 /menu 重新打开菜单。"

# Inside a step-by-step flow, a command or button that starts another one (handlers/flows.py).
FLOW_BUSY = "您正在{flow}，还没有完成。请先按提示完成；要改办别的事，先发送 /cancel 退出。"
FLOW_DEFAULT_LABEL = "办理另一件事"
FLOW_LABELS = {
    "qa_faq_answer": "给居民的问题写答案",
    "households_bind": "绑定房屋",
    "tickets_complaint": "投诉 / 报事",
    "tickets_renovate": "填写改造需求",
    "tickets_staff_note": "处理工单",
    "tickets_feedback": "评价工单",
    "notices_broadcast": "发布通知",
    "consult_create": "新建意见征询",
    "reminders_add": "新建定时提醒",
}
PRESS_A_BUTTON = "这一步请点上面消息里的按钮选择；要退出请发送 /cancel。"
