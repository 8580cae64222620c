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
]
MENU_LABELS = {key: label for key, label in MENU_ITEMS}
# Flows that collect personal details run in a private chat, never in the group.
PRIVATE_ONLY = {"complain", "renovate", "tickets", "remind", "vote"}

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
    "• /start 重新开始\n"
    "看不懂或答不上来的问题，我会转给社区工作人员。"
)
HELP_STAFF = (
    "\n\n工作人员命令\n"
    "• /staff list | add <用户ID> | remove <用户ID>（也可回复某人的消息使用 add/remove）\n"
    "• /bindgroup <小区/楼栋名称> —— 在群里使用，登记本群所属\n"
    "• /chats —— 查看机器人所在的群"
)

FEATURE_PENDING = (
    "「{label}」功能正在建设中，很快就能用。现在可以先用「政策问答」，或联系社区工作人员。"
)
ASK_PROMPT = "请直接输入您的问题，例如：“老旧小区改造要多少人同意？”"
GO_PRIVATE = "这项事务涉及个人信息，请点下面的按钮，到和我的私聊里办理："
GO_PRIVATE_BUTTON = "去私聊办理"

NOT_STAFF = "抱歉，这个操作只有社区工作人员可以使用。"
NOT_ADMIN = "抱歉，只有管理员可以管理工作人员名单。"
STAFF_USAGE = (
    "用法：\n/staff list —— 查看工作人员\n"
    "/staff add <用户ID> —— 添加（或回复某人的消息发送 /staff add）\n"
    "/staff remove <用户ID> —— 移除（或回复某人的消息）"
)
STAFF_ADDED = "已添加工作人员：{user_id}"
STAFF_ALREADY = "{user_id} 已经是工作人员了。"
STAFF_REMOVED = "已移除工作人员：{user_id}"
STAFF_NOT_FOUND = "{user_id} 不在工作人员名单里。"
STAFF_IS_ADMIN = "{user_id} 是配置文件里的管理员，不能在聊天里移除。"
STAFF_BAD_ID = "用户 ID 应该是一串数字，例如 /staff add 123456789"
STAFF_LIST_HEAD = "管理员（配置）：{admins}\n工作人员："
STAFF_LIST_EMPTY = "（暂无，使用 /staff add 添加）"
STAFF_REMOVE_BUTTON = "移除 {user_id}"
NOBODY = "（无）"

BIND_USAGE = "用法：在群里发送 /bindgroup <小区或楼栋名称>，例如 /bindgroup 幸福里3号楼"
BIND_ONLY_GROUP = "/bindgroup 需要在群聊里使用。"
BIND_DONE = "已登记：本群属于「{name}」。"
BIND_TOO_LONG = "名称太长了，请控制在 40 个字以内。"
CHATS_HEAD = "机器人所在的群："
CHATS_EMPTY = "机器人还没有加入任何群。"
CHAT_LINE = "• {title}（{chat_id}）{status}{bound}"
CHAT_STATUS = {"member": "", "left": " 已退出", "kicked": " 已被移出", "blocked": " 已屏蔽"}

UNKNOWN_COMMAND = "没有这个命令。发送 /help 查看能用的命令，或直接打字提问。"
NON_TEXT = "我目前只能看懂文字消息，请用文字描述您的问题 🙏"
ERROR = "抱歉，刚才出了点问题，请稍后再试。急事请直接联系社区工作人员。"
GROUP_GREETING = (
    "大家好！我是{community}的社区助手。在群里 @我 或回复我的消息就能提问，发送 /menu 打开菜单。"
)
STALE_BUTTON = "这个按钮已失效，请发送 /menu 重新打开菜单。"
