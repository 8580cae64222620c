"""What staff and group administration says (staff roster, group binding, chat list)."""

from __future__ import annotations

HELP_LINES = (
    "\n• /staff list | add <用户ID> | remove <用户ID>（也可回复某人的消息使用 add/remove）",
    "\n• /bindgroup <小区> [楼栋] —— 在群里使用，登记本群属于哪个小区或楼栋",
    "\n• /chats —— 查看机器人所在的群（私聊或工作人员群里使用）",
)

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
STAFF_LINE = "• {who}，{date} 由 {by} 添加"
STAFF_LINE_NO_ADDER = "• {who}，{date} 添加"
STAFF_NAMED = "{name}（{user_id}）"
STAFF_LIST_EMPTY = "（暂无，使用 /staff add 添加）"
STAFF_REMOVE_BUTTON = "移除 {user_id}"
NOBODY = "（无）"
BIND_USAGE = "用法：在群里发送 /bindgroup <小区> [楼栋]，例如 /bindgroup 幸福小区 3号楼"
BIND_ONLY_GROUP = "/bindgroup 需要在群聊里使用。"
BIND_DONE = "已登记：本群属于「{name}」。"
BIND_TOO_LONG = "名称太长了，请控制在 40 个字以内。"
CHATS_HEAD = "机器人所在的群："
CHATS_EMPTY = "机器人还没有加入任何群。"
CHAT_LINE = "• {title}（{chat_id}）{status}{bound}"
CHAT_STATUS = {"member": "", "left": " 已退出", "kicked": " 已被移出", "blocked": " 已屏蔽"}
BIND_NOT_IN_REGISTER = "\n（房屋登记册里没有这个小区或楼栋，已按所写名称登记，通知仍可发到本群。）"
