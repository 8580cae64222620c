"""Everything the tickets capability says (投诉/报事, 改造需求, staff handling), for review."""

from __future__ import annotations

# --- complaint flow (private chat) -----------------------------------------------------
GO_PRIVATE = "投诉涉及个人信息，请点下面的按钮，到和我的私聊里填写："
GO_PRIVATE_RENOVATE = "改造需求请到和我的私聊里填写，点下面的按钮："
GO_PRIVATE_MY = "工单涉及个人信息，请点下面的按钮，到和我的私聊里查看："
GO_PRIVATE_BUTTON = "去私聊办理"
BLOCKED = "抱歉，您的账号暂时不能提交。如有急事请直接联系社区工作人员。"
DAILY_LIMIT = "您今天已经提交了 {limit} 件，明天再来吧。急事请直接联系社区工作人员。"
NOT_READY = "工单功能还没准备好，请稍后再试。"

ASK_DESCRIPTION = (
    "我要投诉 / 报事（第 1 步，共 6 步）\n"
    "请用文字说说发生了什么、在哪里、持续多久了。\n"
    "例如：“3号楼楼道里有人给电动车充电，电线从窗户拉出来。”\n"
    "随时发送 /cancel 可以退出。"
)
DESCRIPTION_TOO_SHORT = "描述太短了，请多写几个字（至少 {min} 个字），方便工作人员处理。"
DESCRIPTION_TOO_LONG = "描述太长了（{length} 字），请精简到 {max} 字以内再发。"
DESCRIPTION_NO_WORDS = "只有表情或符号，工作人员看不明白。请用文字说说是什么问题（表情可以留着）。"
NEED_TEXT = "这一步请用文字回复（贴纸、图片、语音这一步收不到）。"
NEED_LOCATION = "这一步请打字说明地点、点上面的按钮，或发送手机定位。"
NEED_BUTTON = "请点上面消息里的按钮继续；要退出请发送 /cancel。您填写的内容都还在。"
ASK_CATEGORY = "第 2 步：请选择问题类别。"
ASK_CATEGORY_SUGGESTED = (
    "第 2 步：请选择问题类别。根据您的描述，可能是「{label}」（标 ⭐ 的按钮）。"
)
ASK_PHOTOS = (
    "第 3 步：如有照片，请直接发送（最多 {max} 张）。\n发完后点「下一步」；没有照片点「跳过」。"
)
PHOTO_SAVED = "已收到第 {count} 张照片（最多 {max} 张）。可以继续发，或点「下一步」。"
PHOTO_LIMIT = "最多只能附 {max} 张照片，多出的这张没有保存。请点「下一步」继续。"
PHOTO_NEED_PHOTO = "这一步请发送照片，或点「下一步」/「跳过」。"
BTN_NEXT = "下一步"
BTN_SKIP = "跳过"
ASK_LOCATION = (
    "第 4 步：问题发生在哪里？\n"
    "可以点您家的房号，或按楼栋/单元/房号选择，也可以直接打字（如“小区东门垃圾站”），"
    "或发送手机定位。"
)
BTN_MY_HOME = "我家：{address}"
BTN_PICK_BUILDING = "按楼栋选择"
BTN_LOCATION_TEXT = "打字说明地点"
ASK_LOCATION_TEXT = "请输入地点，例如“3号楼2单元楼道”或“小区东门”。"
LOCATION_TOO_LONG = "地点太长了，请控制在 {max} 字以内。"
ASK_BUILDING = "请选择楼栋："
ASK_UNIT = "{building}，请选择单元："
ASK_ROOM = "{building}{unit}，请选择房号（或点「只填到楼栋/单元」）："
BTN_WHOLE_BUILDING = "只填到楼栋/单元"
NO_REGISTER = "还没有房屋名册，请直接打字说明地点。"
GEO_LOCATION = "定位（{lat:.5f}, {lon:.5f}）"
ASK_PHONE = (
    "第 5 步：留个联系电话吗？（可选）\n"
    "只给工作人员看，方便上门或回电。直接发送号码，或点「跳过」。"
)
PHONE_INVALID = "这看起来不是电话号码，请重新输入（只要数字），或点「跳过」。"
ASK_ANONYMOUS = (
    "第 6 步：要对其他居民匿名吗？\n"
    "选择匿名后，其他居民（包括关注同一问题的人）看不到是谁反映的；\n"
    "但社区工作人员仍然能看到是谁提交的，以便联系您、核实情况。"
)
BTN_ANONYMOUS = "对其他居民匿名"
BTN_NOT_ANONYMOUS = "不匿名"
SUMMARY = (
    "请核对您的投诉：\n"
    "类别：{category}\n"
    "描述：{description}\n"
    "照片：{photos} 张\n"
    "地点：{location}\n"
    "电话：{phone}\n"
    "对其他居民匿名：{anonymous}\n\n"
    "没问题就点「确认提交」；要改哪一项就点哪一项。"
)
NONE = "无"
YES = "是"
NO = "否"
BTN_CONFIRM = "✅ 确认提交"
BTN_EDIT = {
    "description": "改描述",
    "category": "改类别",
    "photos": "改照片",
    "location": "改地点",
    "phone": "改电话",
    "anonymous": "改匿名",
}
BTN_CANCEL = "取消"
EDIT_PHOTOS = "已清空原来的照片，请重新发送（最多 {max} 张），发完点「下一步」。"
DUPLICATE = (
    "已经有人反映过类似的问题：\n{number}（{status}，同问 {followers} 人）\n{description}\n\n"
    "是同一个问题吗？关注它，处理进展会通知您，也算您一同反映（同问）。"
)
BTN_FOLLOW = "同一个问题，关注它"
BTN_NOT_SAME = "不是，继续提交"
FOLLOWED = "已关注 {number}，处理进展会私聊通知您。发送 /my 可以查看。"
SUBMITTED = (
    "已提交，工单编号：{number}\n"
    "工作人员会尽快处理，每一步进展都会私聊通知您。发送 /my 可以查看进度。"
)
CANCELLED = "已取消，您填写的内容没有提交。"
STALE_STEP = "这个按钮已过期，请按最新的提示操作，或发送 /cancel 退出。"

# --- renovation needs ----------------------------------------------------------------
RENOVATE_INTRO = (
    "改造需求征集（第 1 步，共 4 步）\n"
    "请选择您希望改造的项目，可以多选，选好后点「选好了」。\n"
    "基础类：安全和基本生活；完善类：方便生活；提升类：社区服务。"
)
RENOVATE_INTRO_HOUSEHOLD = "（按户登记：{address}。同一户后提交的会替换先前的，历史保留。）"
BTN_ITEMS_DONE = "选好了"
ITEMS_EMPTY = "请至少选择一项。"
ASK_URGENCY = "第 2 步：您觉得这些改造有多急？"
URGENCY_LABELS = {"high": "很急，影响安全或生活", "medium": "比较需要", "low": "有了更好"}
ASK_NEEDS_TEXT = (
    "第 3 步：还有什么想说的？（可选，比如具体位置、现在的问题）直接发文字，或点「跳过」。"
)
NEEDS_TEXT_TOO_LONG = "内容太长了（{length} 字），请控制在 {max} 字以内。"
ASK_COFUND = "第 4 步：如果需要居民分摊一部分费用（谁受益谁出资），您的意愿是？"
COFUND_LABELS = {"yes": "愿意出资", "depends": "视金额而定", "no": "不愿意"}
NEEDS_SAVED = "已登记您的改造需求，谢谢！共 {count} 项：{items}。"
NEEDS_REPLACED = (
    "已更新您家的改造需求（替换了先前的登记，记录保留），谢谢！共 {count} 项：{items}。"
)

# --- resident: /my, notifications, reopen, rating ------------------------------------
MY_EMPTY = "您还没有提交或关注的工单。需要投诉/报事请发送 /complain。"
MY_HEAD = "我的工单："
MY_LINE = "{number} {status} · {category} · {date}\n  {description}"
MY_FOLLOWED_HEAD = "我关注的（同问）："
MY_HINT = "发送 /ticket 编号 查看处理记录，例如 /ticket {number}"
NOTIFY = "您的工单 {number} 有新进展：{status}\n{action}{note}"
NOTIFY_FOLLOWER = "您关注的工单 {number} 有新进展：{status}\n{action}{note}"
NOTIFY_NOTE = "\n说明：{note}"
NOTIFY_REASON = "\n原因：{reason}"
NOTIFY_RATE_HINT = "\n\n问题解决了吗？请点下面的按钮评价；没解决可以在 {days} 天内重新打开。"
NOTIFY_REOPEN_HINT = "\n\n如有异议，可在 {days} 天内点「重新打开」并说明原因。"
BTN_RATE = {"solved": "解决了", "partly": "部分解决", "not_solved": "没解决"}
BTN_REOPEN = "重新打开"
ASK_STARS = "请给处理情况打分（1–5 星）："
ASK_COMMENT = "还想说点什么吗？直接发文字，或点「跳过」。"
COMMENT_TOO_LONG = "留言太长了，请控制在 {max} 字以内。"
RATED = "谢谢您的评价！"
RATED_REOPENED = "谢谢评价。问题还没完全解决，工单 {number} 已重新打开，工作人员会继续处理。"
ASK_REOPEN_REASON = "请说明为什么要重新打开工单 {number}（还有什么问题没解决）："
REOPENED = "工单 {number} 已重新打开，工作人员会继续处理。"
NOT_YOUR_TICKET = "这不是您的工单。"
TOO_LATE_WINDOW = (
    "工单 {number} 办结/驳回已超过 {days} 天，不能再评价或重新打开。"
    "如有问题请发送 /complain 重新反映。"
)
CANNOT_RATE = "工单 {number} 当前为“{status}”，不能评价；如有异议可以点「重新打开」。"
TOO_LATE_STATUS = (
    "工单 {number} 当前为“{status}”，不能再评价或重新打开。如有问题请发送 /complain 重新反映。"
)
REFUSED = "不能这样操作：{reason}"

# --- staff ---------------------------------------------------------------------------
CARD = (
    "🎫 {number}【{status}】{overdue}\n"
    "类别：{category}\n"
    "地点：{location}\n"
    "描述：{description}\n"
    "照片：{photos} 张 · 同问 {followers} 人 · 提交 {created}\n"
    "反映人：{reporter}{anonymous}\n"
    "处理人：{assignee}"
)
CARD_OVERDUE = " ⚠️超时"
CARD_ANONYMOUS = "（对其他居民匿名）"
NOBODY = "未指派"
BTN_ACCEPT = "受理"
BTN_ASSIGN_ME = "指派给我"
BTN_ASSIGN = "指派给…"
BTN_RESOLVE = "办结"
BTN_REJECT = "驳回"
BTN_REPLY = "回复居民"
PICK_ASSIGNEE = "把 {number} 指派给谁？"
PICK_REJECT_REASON = "驳回 {number}：请选择原因"
ASK_NOTE = {
    "resolve": "办结 {number}：请发送处理结果（会转告居民）。",
    "reject": "驳回 {number}（{reason}）：请发送说明（会转告居民，必填）。",
    "reply": "回复 {number} 的居民：请发送回复内容。",
}
ASK_NOTE_SUFFIX = "\n发送 /cancel 取消。"
NEED_PRIVATE = "请先私聊我（点我的头像 → 发消息 → /start），再点这个按钮。"
NOTE_SENT_TO_PRIVATE = "请到和我的私聊里填写。"
NOTE_TOO_LONG = "说明太长了，请控制在 {max} 字以内。"
DONE = "已{action}：{number}"
ILLEGAL = "不能这样操作：{number} 当前为“{status}”，不能{action}。"
NOTE_CANCELLED = "已取消，工单没有变化。"
TICKET_NOT_FOUND = "没有找到工单 {number}。"
TICKET_USAGE = (
    "用法：/ticket 编号，例如 /ticket TS-20261120-0007（当天的也可以只写序号，如 /ticket 7）"
)
TICKET_WHICH = "序号 {number} 对应多个工单，请发送完整编号："
TICKET_WHICH_LINE = "/ticket {number}（{category}）"
TICKET_PRIVATE_ONLY = "工单详情含个人信息，请在和我的私聊或工作人员群里查看。"
TICKET_FORBIDDEN = "只有提交人、关注的人和工作人员可以查看这个工单的处理记录。"
HISTORY_HEAD = "处理记录："
HISTORY_LINE = "{at} {action}（{actor}）{note}"
ACTOR_RESIDENT = "居民"
ACTOR_SYSTEM = "系统"
ACTOR_STAFF = "工作人员 {user_id}"
LIST_HEAD = "工单（{filters}）共 {count} 件，显示 {shown} 件："
LIST_ALL = "全部未结"
LIST_EMPTY = "没有符合条件的工单。"
LIST_LINE = "{number} {status}{overdue} · {category} · {location} · {description}"
LIST_USAGE = (
    "用法：/tickets [状态] [类别] [楼栋] [超时] [我的]\n"
    "例如：/tickets 超时、/tickets 我的、/tickets 已受理 噪音、/tickets 3号楼"
)
FILE_USAGE = (
    "代居民登记（电话反映）：/file_ticket [居民用户ID]（没有或不知道可不填，或填 0）\n"
    "填了ID，居民会收到每一步进展，也能评价和重新打开。之后按提示填写。"
)
FILE_FOR = "正在为{who}代登记工单。"
FILE_FOR_PHONE = "电话来访居民"
FILE_FOR_USER = "居民（ID {user_id}）"
FILED_FOR_NOTICE = "社区工作人员已为您登记工单 {number}，处理进展会私聊通知您。"
FILED_FOR_NOT_TOLD = "工单已登记，但没能私聊通知居民 {user_id}（对方可能还没和我说过话）。"
BLOCK_USAGE = "用法：/block 用户ID [原因]；/unblock 用户ID"
BLOCKED_DONE = "已禁止用户 {user_id} 提交工单和改造需求。"
UNBLOCKED_DONE = "已解除对用户 {user_id} 的禁止。"
NOT_BLOCKED = "用户 {user_id} 没有被禁止。"
CANNOT_BLOCK_STAFF = "不能禁止工作人员。"
EXPORT_PRIVATE_ONLY = "导出文件含居民信息，请在和我的私聊里使用 /export。"
EXPORT_USAGE = (
    "用法：/export [天数] [状态]（投诉工单，例如 /export 30 已办结）\n"
    "或 /export needs（改造需求清单）"
)
EXPORT_CAPTION = "{what}，共 {count} 条（{scope}），导出于 {at}"
EXPORT_COMPLAINTS = "投诉工单"
EXPORT_NEEDS = "改造需求清单"
EXPORT_ALL_DAYS = "全部日期"
EXPORT_LAST_DAYS = "近 {days} 天"
EXPORT_EMPTY = "没有符合条件的{what}（{scope}）。"
EXPORT_TOO_BIG = "文件太大（约 {size_mb} MB），请缩短天数，或用命令行 resident-bot export 导出。"
EXPORT_FILENAME_COMPLAINTS = "投诉工单-{stamp}.xlsx"
EXPORT_FILENAME_NEEDS = "改造需求清单-{stamp}.xlsx"
DIGEST_HEAD = "督办｜{date} 超时工单 {count} 件："
DIGEST_NONE = "督办｜{date} 没有超时工单 👍"
DIGEST_LINE = "{number} {status} · {category} · {location} · 处理人：{assignee} · {late}"
LATE_RESPONSE = "超过首次响应时限"
LATE_RESOLVE = "超过办结时限"
REMINDER = "提醒：您名下有 {count} 件超时工单，请尽快处理：\n{lines}"
STATS_TITLE = "工单统计"
STATS_TEXT = (
    "工单统计（{community}）\n"
    "本周：新增 {week_total} 件；本月：新增 {month_total} 件\n"
    "本月按类别：{by_category}\n"
    "本月按状态：{by_status}\n"
    "首次响应中位数：{first_response}；办结中位数：{resolution}\n"
    "当前超时：{overdue} 件；满意度：{satisfaction}"
)
HOURS = "{hours:.1f} 小时"
NO_DATA = "暂无"
CHART_WEEK = "本周"
CHART_MONTH = "本月"
CHART_CAPTION = "本周/本月各类工单数量"

HELP_LINES = (
    "\n• /tickets [状态|类别|楼栋|超时|我的] —— 工单列表",
    "\n• /ticket 编号 —— 工单详情和处理记录（含照片）",
    "\n• /file_ticket 居民ID —— 代电话来访居民登记工单",
    "\n• /block 用户ID、/unblock 用户ID —— 禁止/恢复提交",
    "\n• /export、/export needs —— 导出投诉工单 / 改造需求（私聊）",
    "\n• /stats —— 本周、本月统计和图表",
)
RESIDENT_HELP_LINES = (
    "\n• /complain —— 投诉、报事（私聊里按步骤填写，得到工单编号）",
    "\n• /renovate —— 提改造需求；/my —— 我的工单和处理进度",
)
