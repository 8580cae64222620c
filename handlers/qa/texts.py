"""What the policy Q&A says to residents and staff."""

from __future__ import annotations

SOURCE = "📄 来源：{source}"
# Both kinds of decline begin with it.
DECLINE_HEAD = "这个问题我暂时答不上来"
DECLINE = (
    f"{DECLINE_HEAD}，不想乱说 🙏\n"
    "已经记录下来交给社区工作人员。想让工作人员直接联系您，请点「转人工」。"
)
# Declined, but the closest passage may still help: said plainly that it is not an answer.
SUGGEST = (
    f"{DECLINE_HEAD}，已经记录下来交给社区工作人员 🙏\n"
    "下面这段内容可能和您的问题有关，仅供参考：\n\n"
    "{answer}\n\n"
    "不是您要问的？请点「转人工」，工作人员会联系您。"
)
# 其他答案 under such a suggestion: still not an answer.
MORE_SUGGEST = "下面这段内容可能和您的问题有关，仅供参考：\n\n{answer}"
# Messages that are no question (knowledge/qa/chat_acts.py): answered, never stored.
THANKS_REPLY = "不客气 😊 还有问题随时问我。"
ACK_REPLY = "好的。还有问题随时问我，发送 /menu 打开菜单。"
GREETING_REPLY = (
    "您好！我在 😊 请直接打字提问，例如：“电动车能在楼道充电吗”。\n"
    "要投诉、报修，请点下面的按钮。发送 /menu 打开菜单。"
)
REPORT_REPLY = "要投诉或报修，请点下面的按钮，按步骤填写，会得到工单编号，办理进度随时可查。"
BTN_REPORT = "📝 我要投诉 / 报修"
MY_TICKETS_REPLY = "您报过的事办到哪一步了，点下面的「我的工单」就能看到，每一步处理都有记录。"
BTN_MY_TICKETS = "📋 我的工单"
ASK_EMPTY = "请在 /ask 后面写上您的问题，例如：/ask 电动车能在楼道充电吗"
KB_NOT_READY = "知识库正在加载，请稍等几秒再问。"

BTN_UP = "👍 有用"
BTN_DOWN = "👎 没用"
BTN_SOURCE = "查看原文"
BTN_MORE = "其他答案"
BTN_HUMAN = "转人工"

THANKS_UP = "谢谢您的反馈！"
THANKS_DOWN = "谢谢反馈，我们会改进。可以点「转人工」问工作人员。"
NO_MORE = "没有更多答案了。可以点「转人工」问社区工作人员。"
ORIGINAL_GONE = "原文已不存在（文件可能已被更新或删除）。"
ORIGINAL_HEAD = "📄 {source}\n\n"
ORIGINAL_CUT = "\n……（原文较长，只显示前面部分）"
STALE_BUTTON = "这个按钮已失效，请重新提问。"
HUMAN_DONE = "已转给社区工作人员，他们会尽快联系您。"
HUMAN_DESCRIBE = "请先把您的问题发给我（一句话说清楚就行），答不上来的我会转给社区工作人员。"
HUMAN_ALREADY = "这个问题已经转给工作人员了，请耐心等待。"
HUMAN_ONLY_ASKER = "只有提问的居民本人可以转人工。"
STAFF_NOTICE = (
    "🙋 居民问题转人工（#{qid}）\n问题：{question}\n提问人：{user}（ID {user_id}）\n"
    "来自：{chat}\n发送 /unanswered 处理。"
)

# Staff side
NOT_STAFF_DOCUMENT = "只有社区工作人员可以导入政策文件，文件没有导入。"
IMPORTING = "正在导入《{name}》，请稍候……"
IMPORT_DONE = "✅ 已导入《{title}》：{sections} 个章节，{passages} 段内容。{replaced}"
IMPORT_REPLACED = "（已替换旧版本）"
IMPORT_FAILED = "❌ 导入失败：{reason}"
FILE_TOO_BIG = "文件太大了（上限 20 MB），请拆分后再发送。"
KB_EMPTY = "知识库里还没有导入的文件。在私聊里把 .docx / .pdf / .txt / .md 文件发给我即可导入。"
KB_HEAD = "已导入的政策文件（共 {count} 个）："
KB_LINE = "#{doc_id} 《{title}》 {sections} 章 / {passages} 段，{date} 导入"
KB_USAGE = "用法：/kb 查看文件；/kb remove <编号> 删除文件"
KB_REMOVE_BUTTON = "删除 #{doc_id}"
KB_CONFIRM = "确定删除《{title}》吗？删除后相关问题将无法回答。"
KB_CONFIRM_YES = "确定删除"
KB_CANCEL = "取消"
KB_REMOVED = "已删除文件 #{doc_id}。"
KB_NOT_FOUND = "没有编号为 {doc_id} 的文件。"
KB_CANCELLED = "已取消。"

UNANSWERED_EMPTY = "目前没有待处理的居民问题 👍"
UNANSWERED_HEAD = "待处理的居民问题（{count} 条，显示最新 {shown} 条）："
UNANSWERED_LINE = "#{qid} {mark}{question}（{date}）"
HANDOFF_MARK = "【转人工】"
# Under a listed question: the passage the resident was shown, answer or suggestion.
UNANSWERED_SHOWN = "　　已答：{source}"
UNANSWERED_SUGGESTED = "　　仅供参考：{source}"
BTN_WRITE_FAQ = "#{qid} 写答案"
BTN_DISMISS = "#{qid} 忽略"
UNANSWERED_PRIVATE_ONLY = (
    "居民的问题可能涉及个人信息，请在和我的私聊或工作人员群里使用 /unanswered。"
)
FAQ_NEED_PRIVATE = "我没法私聊您：请先点开和我的私聊并发送 /start，然后再点「写答案」。"
FAQ_PROMPT = "请发送问题 #{qid}「{question}」的答案（400 字以内）。发送 /cancel 取消。"
FAQ_TOO_LONG = "答案太长了（{length} 字），请控制在 400 字以内后重新发送。"
FAQ_SAVED = "✅ 已加入常见问题，以后居民再问类似问题会自动回答。"
FAQ_CANCELLED = "已取消写答案。"
FAQ_CLOSED = "问题 #{qid} 已经处理过了。"
ASKER_NOTICE = "您之前问的「{question}」，社区工作人员答复：\n{answer}"
DISMISSED = "已忽略问题 #{qid}。"

EXPORT_USAGE = (
    "用法：\n"
    "/kbexport —— 导出全部居民提问记录（Excel 文件）\n"
    "/kbexport 30 —— 只导出最近 30 天（1～{max_days} 天）\n"
    "/kbexport 转人工 —— 只导出某种状态：已回答、未能回答、转人工、已处理、已忽略、待处理\n"
    "/kbexport 30 转人工 —— 两者一起用"
)
EXPORT_PRIVATE_ONLY = "居民的问题可能涉及个人信息，请在和我的私聊或工作人员群里使用 /kbexport。"
EXPORT_EMPTY = "没有符合条件的提问记录（{dates}，{statuses}），没有生成文件。"
EXPORT_TOO_BIG = (
    "导出的文件太大（{size_mb} MB），超过 Telegram 50 MB 的上限。"
    "请缩短天数，或在服务器上用命令 resident-bot kb export 导出。"
)
EXPORT_CAPTION = "📊 居民提问记录 {count} 条\n日期：{dates}\n状态：{statuses}\n表中时间为{tz}"
TZ_BEIJING = "北京时间"
TZ_OTHER = "{name} 当地时间"
EXPORT_FILENAME = "居民提问记录_{stamp}.xlsx"
STAMP_UNTIL = "截至{day}"
HELP_LINE = "\n• /kbexport [天数] [状态] —— 导出居民提问记录（Excel），交给街道办"
NOISE = "我只能看懂文字，请用一句话写下您的问题，例如：“电动车能在楼道充电吗”。"
HELP_LINES = (
    "\n• /kb —— 查看/删除已导入的政策文件（私聊发送文件即可导入）",
    "\n• /unanswered —— 处理答不上来和转人工的问题",
)
FAQ_NEED_TEXT = "请用文字发送答案（400 字以内），或发送 /cancel 取消。"
ASK_PROMPT = "请直接输入您的问题，例如：“老旧小区改造要多少人同意？”"

# Staff teach the bot: pick the passage that answers a question, or search for one.
BTN_PICK = "#{qid} 选原文"
PICK_HEAD = (
    "问题 #{qid}「{question}」\n"
    "请点选能回答它的原文；没有合适的，可以直接发几个词搜索。发送 /cancel 取消。"
)
SEARCH_HEAD = (
    "「{words}」的搜索结果，请点选能回答问题 #{qid} 的原文（可继续发词搜索，/cancel 取消）："
)
PICK_NONE = "没有找到相关原文，请换几个词再搜索，或发送 /cancel 取消。"
PICK_LINE = "{n}. {source}\n{preview}"
BTN_USE = "{n}. {preview}"
PICK_GONE = "这段原文已不存在（文件可能已被更新或删除），请重新选择。"
PICK_NEED_TEXT = "请发送几个词来搜索原文，或发送 /cancel 取消。"
PICK_CANCELLED = "已取消选原文。"
TAUGHT = (
    "✅ 已把问题 #{qid} 记为这段原文的另一种问法，以后居民再问类似问题会自动回答。\n📄 {source}"
)
TAUGHT_NOTICE = (
    "您之前问的「{question}」，社区工作人员找到了相关规定：\n{answer}\n\n📄 来源：{source}"
)
