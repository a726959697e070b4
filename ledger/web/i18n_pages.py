"""The pages' strings for the agreement timeline, the compare page's summary and the lists' pagination (issue 19
item 3), in English and Simplified Chinese: part of the one table in :mod:`ledger.web.i18n`."""

from __future__ import annotations

# key: (English, 简体中文)
PAGE_STRINGS: dict[str, tuple[str, str]] = {
    "page.nav": ("Pages of this list", "列表分页"),
    "page.next": ("Next page", "下一页"),
    "page.first": ("First page", "第一页"),
    "page.older_labels": ("Older labels", "更早的标签"),
    "page.as_json": ("as JSON", "JSON 格式"),
    "page.bad_cursor": (
        "{name}={value} is not a page of this list: give a whole number from {min} to {max}.",
        "{name}={value} 不是本列表的有效分页参数：请给出 {min} 到 {max} 之间的整数。",
    ),
    "agreement.unknown": ("No recognition agreement {id} is in this log.", "本日志中没有互认协议 {id}。"),
    "timeline.title": ("Negotiation", "协商过程"),
    "timeline.propose": ("Proposed", "提议"),
    "timeline.counter": ("Counter-proposal", "反提议"),
    "timeline.revise": ("Revised by the proposer", "提议方修订"),
    "timeline.accept": ("Accepted", "接受"),
    "timeline.withdraw": ("Withdrawn", "撤回"),
    "timeline.expiry": ("Expired", "到期"),
    "timeline.expiry_ahead": ("Expires", "将到期"),
    "timeline.revises": ("revises version {version}", "修订第 {version} 版"),
    "timeline.version": ("version {version}", "第 {version} 版"),
    "timeline.at": ("{day} {time} UTC", "{day} {time}（UTC）"),
    "timeline.signed_by": ("Signed by", "签署方"),
    "timeline.key": ("key", "密钥"),
    "timeline.entry": ("entry {index}", "日志条目 {index}"),
    "timeline.no_entry": (
        "No entry: the terms' validity window ends here.",
        "无日志条目：条款的有效期在此结束。",
    ),
    "timeline.reason": ("Reason given", "给出的原因"),
    "timeline.first_terms": ("The first terms proposed.", "首次提议的条款。"),
    "timeline.changes": ("Changes from version {version}:", "相对第 {version} 版的改动："),
    "timeline.no_changes": ("Same terms as version {version}.", "条款与第 {version} 版相同。"),
    "timeline.added": ("added", "新增"),
    "timeline.removed": ("removed", "删除"),
    "compare.summary": ("{count} dimensions compared", "共比较 {count} 个维度"),
    "compare.unspecified_both": (
        "{count} of them neither profile specifies: an agreement must state them (folded below).",
        "其中 {count} 个维度两个档案均未规定，须由协议约定（已折叠于下方）。",
    ),
    "compare.differences": ("Where they differ ({count})", "不同之处（{count}）"),
    "compare.no_differences": (
        "No difference: every dimension is identical or unspecified on both sides.",
        "没有差异：每个维度都相同，或两边均未规定。",
    ),
    "compare.folded": (
        "{count} dimensions identical or unspecified on both sides",
        "{count} 个维度相同或两边均未规定",
    ),
}
