"""Everything the households feature says to residents and staff, in one place for review."""

from __future__ import annotations

ROLE_LABELS = {"owner": "业主", "family": "家属", "tenant": "租户"}
STATUS_LABELS = {
    "active": "已绑定",
    "pending": "待审核",
    "rejected": "未通过",
    "removed": "已解除",
}
VIA_LABELS = {"code": "绑定码", "invite": "邀请", "request": "申请审核"}

HELP_LINES = (
    "\n• /household 3-1-101 [小区] —— 查看房屋及绑定的账号（私聊或工作人员群）",
    "\n• 私聊发送房屋登记表 .csv/.xlsx —— 检查后确认导入（说明里可写小区名）",
)

# --- private chat only ------------------------------------------------------------------
GO_PRIVATE = "房屋绑定涉及个人信息，请点下面的按钮，到和我的私聊里办理："
GO_PRIVATE_BUTTON = "去私聊办理"

# --- binding ------------------------------------------------------------------------------
BIND_START = (
    "绑定房屋后，报事、改造需求和意见征询都能自动带上您家的地址。\n"
    "• 有绑定码：发送 /bind 绑定码，例如 /bind ABCD234567\n"
    "• 没有绑定码：点下面的按钮，选择您家的房号，由社区工作人员审核。"
)
BTN_REQUEST = "没有绑定码，申请绑定"
CODE_OK = "绑定码有效：{address}\n请选择您的身份："
CODE_WRONG = "绑定码不对，请核对后重新输入（不区分大小写）。没有绑定码可以发送 /bind 申请。"
CODE_USED = "这个绑定码已经被使用过了。每个码只能用一次，如需帮助请联系社区工作人员。"
CODE_EXPIRED = "这个绑定码已过期，请向社区工作人员索取新的绑定码。"
CODE_REVOKED = "这个绑定码已作废（社区已重新发放），请使用最新的绑定码。"
CODE_THROTTLED = "输错次数太多，为保护住户信息，请在 {time} 之后再试。"
CODE_ALREADY = "您已经绑定了 {address}，不需要再绑定。"
ROLE_NOT_ALLOWED = "邀请链接只能绑定为家属或租户。"

BTN_ROLES = {"owner": "我是业主", "family": "我是家属", "tenant": "我是租户"}
CONSENT = (
    "请确认以下说明：\n"
    "• 保存什么：您的 Telegram 账号 ID、绑定的房屋（{address}）、身份（{role}）和同意时间。\n"
    "• 为什么：报事时定位您家、统计改造需求、按户和面积计算意见征询结果。\n"
    "• 谁能看到：只有社区工作人员；群里不会显示您的姓名、电话和房号。\n"
    "• 如何删除：随时发送 /leave，解除绑定并删除这些信息。\n"
    "同意后才会保存。"
)
BTN_AGREE = "同意并绑定"
BTN_DISAGREE = "不同意"
BOUND = "绑定成功：{address}（{role}）。发送 /me 查看您的信息。"
NOT_SAVED = "好的，没有保存任何信息。需要时可以重新发送 /bind。"
CANCELLED = "已取消，没有保存任何信息。"

# --- request without a code -------------------------------------------------------------
NO_REGISTER = "社区还没有导入房屋登记表，暂时无法申请。请联系社区工作人员。"
PICK_COMMUNITY = "请选择您所在的小区："
PICK_BUILDING = "{community}：请选择楼栋（也可以直接输入，如 3号楼）："
PICK_UNIT = "{community}{building}：请选择单元："
PICK_ROOM = "{community}{building}{unit}：请选择房号（也可以直接输入，如 101）："
NOT_FOUND_TYPED = "没有找到“{text}”，请点按钮选择，或重新输入。发送 /cancel 取消。"
PICK_ROLE = "申请绑定 {address}\n请选择您的身份："
REQUEST_SENT = "申请已提交：{address}（{role}）。工作人员审核后会通知您。"
REQUEST_NO_STAFF_CHAT = "申请已记录：{address}（{role}）。请联系社区工作人员审核。"
REQUEST_ALREADY_LINKED = "您已经绑定了 {address}。"
REQUEST_ALREADY_PENDING = "您对 {address} 的申请正在审核中，请耐心等待。"
REQUEST_TOO_MANY = "您已有 {count} 个申请在审核中，请等审核完成后再申请。"
STAFF_REQUEST = (
    "房屋绑定申请 #{link_id}\n小区：{community}\n房屋：{address}\n身份：{role}\n"
    "申请人：{name}（ID {user_id}）\n登记业主：{owners}"
)
BTN_APPROVE = "通过"
BTN_REJECT = "拒绝"
STAFF_APPROVED = "{text}\n—— 已通过（{staff}）"
STAFF_REJECTED = "{text}\n—— 已拒绝（{staff}）"
REQUEST_DECIDED = "这个申请已经处理过了。"
RESIDENT_APPROVED = "您的绑定申请已通过：{address}（{role}）。发送 /me 查看。"
RESIDENT_REJECTED = "您的绑定申请（{address}）未通过。如有疑问请联系社区工作人员。"
STALE_BUTTON = "这个按钮已失效，请重新发送 /bind。"

# --- /me, invite, /leave ------------------------------------------------------------------
ME_EMPTY = "您还没有绑定房屋，我们没有保存您的任何个人信息。\n发送 /bind 开始绑定。"
ME_HEAD = "我们保存的您的信息："
ME_CONSENT = "• 同意说明的时间：{date}"
ME_ID = "• Telegram 账号 ID：{user_id}"
ME_STAFF_NAME = "• 工作人员显示名：{name}（用于投诉导出中标注处理人）"
ME_LINK = "• {community}{address}（{role}，{status}）"
ME_ATTEMPTS = "• 绑定码尝试记录：{count} 次"
ME_FOOT = "发送 /leave 可解除全部绑定并删除以上信息。"
BTN_INVITE = "邀请家人绑定 {address}"
BTN_LEAVE = "注销并删除我的信息"
INVITE = (
    "邀请链接（{days} 天内有效，只能用一次），请转发给家人或租户：\n{link}\n"
    "或让对方私聊我发送：/bind {code}"
)
INVITE_NOT_OWNER = "只有已绑定的业主可以邀请。"
LEAVE_CONFIRM = (
    "确定要注销吗？将解除您的全部房屋绑定，并删除我们保存的您的信息。"
    "已提交的工单、投票等记录会保留内容，但显示为“已注销居民”。"
)
LEAVE_CONFIRM_STAFF = "\n您是工作人员：显示名也会删除，下次以工作人员身份操作时会重新记录。"
BTN_LEAVE_YES = "确定注销"
BTN_LEAVE_NO = "取消"
LEFT = "已注销：您的房屋绑定和个人信息已删除。需要时可以重新绑定。"
LEAVE_KEPT = "好的，没有做任何改动。"

# --- staff: /household ----------------------------------------------------------------
HOUSEHOLD_USAGE = (
    "用法：/household 3-1-101 或 /household 3号楼1单元101室，"
    "有多个小区时在后面加小区名，例如 /household 3-1-101 幸福小区"
)
HOUSEHOLD_PRIVATE_ONLY = "房屋信息含个人信息，请在和我的私聊或工作人员群里查看。"
HOUSEHOLD_WHICH_COMMUNITY = "有多个小区，请在后面写上小区名：{names}"
HOUSEHOLD_NO_COMMUNITY = "登记册里没有小区“{name}”。"
HOUSEHOLD_NOT_FOUND = "{community}没有 {address}。"
HOUSEHOLD_VIEW = (
    "{community}{address}\n面积：{area} ㎡{unsold}\n业主：{owners}\n电话：{phones}\n"
    "业主编号：{owner_key}\n绑定的账号："
)
HOUSEHOLD_UNSOLD = "（开发商未售）"
HOUSEHOLD_LINK = "• ID {user_id}：{role}，{status}（{via}，{date}）"
HOUSEHOLD_NO_LINKS = "（无）"
NONE = "（无）"
BTN_UNLINK = "解除 ID {user_id}"
UNLINKED = "已解除账号 ID {user_id} 与 {address} 的绑定。"
UNLINK_GONE = "这个绑定已经解除或不存在。"

# --- staff: roster file by chat -------------------------------------------------------
ROSTER_NOT_STAFF = "抱歉，只有社区工作人员可以导入房屋登记表。文件没有保存。"
ROSTER_TOO_BIG = "文件太大了（上限 20 MB）。"
ROSTER_CHECKING = "正在检查房屋登记表《{name}》……"
ROSTER_UNREADABLE = "无法读取这个文件：{reason}\n没有导入任何内容。"
ROSTER_ERRORS = "发现 {count} 处错误，没有导入任何内容。请改正后重新发送：\n{errors}"
ROSTER_MORE_ERRORS = "……另有 {count} 处错误未列出"
ROSTER_PLAN = (
    "检查通过《{name}》：\n新增 {added} 户，修改 {changed} 户，不变 {unchanged} 户{removed}。"
    "{warnings}\n确认导入吗？"
)
ROSTER_REMOVED = "，删除 {removed} 户"
ROSTER_WARNINGS = "\n提示：\n{lines}"
BTN_IMPORT = "确认导入"
BTN_IMPORT_CANCEL = "取消"
ROSTER_DONE = "已导入：新增 {added} 户，修改 {changed} 户，不变 {unchanged} 户{removed}。"
ROSTER_CANCELLED = "已取消，没有导入任何内容。"
ROSTER_EXPIRED = "这次导入已失效，请重新发送文件。"
ROSTER_CHANGED = "文件重新检查时发现问题，没有导入：\n{errors}"
RESIDENT_HELP_LINES = (
    "\n• /bind 绑定码 —— 绑定我家房屋（私聊；没有绑定码可申请，由工作人员审核）",
    "\n• /me —— 我的房屋和保存的个人信息；/leave 解除绑定并删除",
)
