"""What /kbexport says to staff (the file's own column names live in knowledge/question_export)."""

from __future__ import annotations

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
