"""Everything the consultation feature says, in Simplified Chinese."""

from __future__ import annotations

from knowledge.consult.voting import Refusal

HELP_LINES = (
    "\n• /consult —— 新建业主意见征询（按提示填写）；"
    "/consult list｜tally ID｜publish ID｜close ID",
    "\n• /record ID —— 征询记录（概要与表格文件）",
    "\n• /poll 问题|选项1|选项2 —— 快速投票（非正式，加“匿名”前缀为匿名投票）",
)
RESIDENT_HELP_LINES = (
    "\n• /consultnotify on —— 业主征询开始时私信通知我（off 关闭）；投票按钮在群里和私信里都能点",
)
ASK_TITLE = "请发送征询事项（标题，例如：3号楼加装电梯方案）。随时发 /cancel 取消。"
ASK_SCOPE = (
    "请发送征询范围：小区名（如 幸福小区），或 小区/楼栋（如 幸福小区/3号楼），多个用逗号分隔。"
)
BAD_SCOPE = "范围不对：{reason}。请重新发送，例如 幸福小区 或 幸福小区/3号楼。"
ASK_RULE = "请选择表决规则："
BTN_CUSTOM_RULE = "自定义规则"
ASK_CUSTOM_RULE = (
    "请发送自定义规则（与命令行 --rule custom:... 写法相同），例如：\n"
    "custom:p-area>=2/3,p-count>=2/3,a-area>1/2,a-count>1/2\n"
    "p- 参与（占范围内），a- 同意（占参与），all- 同意（占全体）；-area 按面积，-count 按人数；"
    ">= 不低于，> 超过；比例可写 2/3、60% 或 0.6。"
)
BAD_RULE = "规则看不懂：{reason}。请重新发送，例如 custom:a-count>1/2。"
ASK_OPTIONS = (
    "请发送选项，用逗号分隔（第一个选项计为“同意”），例如：同意,不同意,弃权。"
    "\n或点击下方按钮使用默认选项。"
)
BTN_DEFAULT_OPTIONS = "使用默认：同意 / 不同意 / 弃权"
BAD_OPTIONS = "选项需要 2–{most} 个、互不相同、每个不超过 {length} 个字。请重新发送。"
ASK_NON_VOTERS = "未投票的业主如何计算？"
BTN_NON_VOTERS = ("不计入（默认）", "计入已投票的多数意见（依管理规约）")
ASK_CLOSES = "请发送截止时间，格式 YYYY-MM-DD HH:MM（例如 2025-07-01 20:00），或“3天”。"
BAD_CLOSES = "时间看不懂或已过去，请按 YYYY-MM-DD HH:MM 发送，或发“3天”。"
CONFIRM = (
    "请确认：\n事项：{title}\n范围：{scope}\n规则：{rule}\n截止：{closes}\n"
    "选项：{options}\n未投票者：{non_voters}"
)
BTN_PUBLISH = "创建并发布"
BTN_PUBLISH_TALLY = "创建并发布（群内显示计票）"
BTN_CANCEL = "取消"
CREATED = "已创建并发布征询 #{cid}，投票消息将发到范围内已绑定的群。"
CREATE_FAILED = "创建失败：{reason}"
CANCELLED = "已取消。"
STALE = "这个按钮已失效。"

BALLOT = (
    "【业主意见征询 #{cid}】{title}\n{question}\n\n"
    "范围：{scope}\n规则：{rule}\n截止：{closes}\n"
    "只有已绑定本范围房屋的业主可以投票，每户一票（可改票，以截止前最后一次为准）。"
    "\n投票后会私信您回执。"
)
BALLOT_TALLY = "\n\n当前计票（{at}）：\n{lines}"
BALLOT_CLOSED = "\n\n投票已结束。"
PRIVATE_FOOTER = "您可以直接点击下方按钮投票。关闭提醒：/consultnotify off"

REFUSALS = {
    Refusal.NOT_FOUND: "找不到这个征询。",
    Refusal.NOT_PUBLISHED: "这个征询还没有发布。",
    Refusal.NOT_OPEN_YET: "投票还没有开始，请在开始时间后再投。",
    Refusal.CLOSED: "投票已经结束，不能再投。",
    Refusal.NOT_LINKED: "您还没有绑定房屋，不能投票。请先私聊机器人用 /bind 绑定。",
    Refusal.NOT_OWNER: "只有业主可以投票（家属、租户不能投票）。",
    Refusal.OUT_OF_SCOPE: "您绑定的房屋不在本次征询范围内。",
    Refusal.BAD_OPTION: "这个选项无效。",
}
VOTED_ALERT = "已记录：{option}。回执已私信发送。"
VOTED_ALERT_NO_DM = "已记录：{option}。回执码 {codes}（请先私聊机器人以便接收回执）。"
RECEIPT = (
    "投票回执（征询 #{cid}）\n房屋：{address}（{area}㎡）\n意见：{option}\n时间：{at}\n"
    "回执码：{code}{changed}\n可在公示的征询记录中核对回执码。"
)
RECEIPT_CHANGED = "（已改票，以本次为准）"

RESULT_HEAD = "【征询结果 #{cid}】{title}\n"
REMINDER = "提醒：征询 #{cid}「{title}」将于 {closes} 截止，您的房屋尚未投票。"

NOT_FOUND = "找不到征询 #{cid}。"
USAGE = (
    "用法：/consult（新建）｜/consult list｜/consult tally ID｜/consult publish ID"
    "｜/consult close ID"
)
LIST_EMPTY = "还没有征询。"
LIST_LINE = "#{cid} [{status}] {title}，截止 {closes}，{events} 次投票"
STATUS = {"draft": "草稿", "published": "进行中", "closed": "已结束"}
PUBLISHED = "已发布 #{cid}，投票消息马上发出。"
PUBLISH_FAILED = "发布失败：{reason}"
CLOSED_NOW = "已提前结束 #{cid}，结果马上发到群里。"
ALREADY_CLOSED = "#{cid} 已经结束。"
RECORD_USAGE = "用法：/record 征询编号"
RECORD_CAPTION = "征询记录 #{cid}（不含姓名、电话）"

NOTIFY_ON = "已开启：有新的业主意见征询时会私信通知您，并在截止前提醒（每天最多一次）。"
NOTIFY_OFF = "已关闭征询私信通知。"
NOTIFY_USAGE = "用法：/consultnotify on 或 /consultnotify off"

POLL_USAGE = "用法：/poll 问题|选项1|选项2（2–10个选项；开头加“匿名”则为匿名投票）"
POLL_HEAD = "快速投票（非正式意见，不作为业主决定）"
POLL_SUMMARY = "「{question}」{kind}\n{lines}"
POLL_LINE = "· {label}：{people}人{households}"
POLL_HOUSEHOLDS = "，{households}户（已绑定居民）"
POLL_EMPTY = "还没有快速投票。"
