"""The pages' strings in English and Simplified Chinese, and how a request picks its language.

``?lang=zh`` or ``?lang=en`` wins; otherwise the first supported language in
Accept-Language (by q-value); otherwise English. Product and scheme names in
Chinese come from the records' ``name_zh`` fields, not from this table.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

from .i18n_pages import PAGE_STRINGS
from .i18n_pictures import PICTURE_STRINGS

EN, ZH = "en", "zh-Hans"
LANGS = (EN, ZH)
QUERY_VALUES = {"en": EN, "zh": ZH, "zh-hans": ZH, "zh-cn": ZH}

# key: (English, 简体中文)
_TABLE: dict[str, tuple[str, str]] = {
    "site.title": ("carbonledger", "carbonledger 碳标签账本"),
    "site.tagline": (
        "A public, append-only log of carbon labels: check a label's authenticity and whether your scheme "
        "recognizes it.",
        "公开、只可追加的碳标签日志：核验标签真伪，并查看您所在的标签制度是否认可它。",
    ),
    "nav.home": ("Home", "首页"),
    "nav.labels": ("Labels", "标签"),
    "nav.schemes": ("Schemes", "标签制度"),
    "nav.compare": ("Compare", "制度比较"),
    "nav.agreements": ("Agreements", "互认协议"),
    "nav.log": ("Log", "日志"),
    "nav.verify": ("Verify a bundle", "核验证据包"),
    "lang.switch": ("中文", "English"),
    "search.label": ("Search labels", "搜索标签"),
    "search.hint": (
        "Label id, product model, GTIN, manufacturer or scheme",
        "标签编号、产品型号、GTIN、制造商或标签制度",
    ),
    "search.submit": ("Search", "搜索"),
    "search.any_scheme": ("any scheme", "所有制度"),
    "search.results": ("Labels found", "搜索结果"),
    "search.none": ("No label matches.", "没有匹配的标签。"),
    "search.latest": ("Newest labels", "最新标签"),
    "home.about": (
        "Each label here is a signed entry in a transparency log. The log cannot rewrite its history without "
        "being caught, so anyone can check a label offline from a small bundle file.",
        "这里的每个标签都是透明日志中的一条签名记录。日志无法在不被发现的情况下改写历史，因此任何人都可以用一个小的证据包文件离线核验标签。",
    ),
    "home.pages": ("Pages", "页面"),
    "home.labels": ("Browse and search labels", "浏览和搜索标签"),
    "home.schemes": ("Registered schemes and their root keys", "已登记的标签制度及其根密钥"),
    "home.compare": ("Compare two schemes' methodologies side by side", "并排比较两个制度的方法学"),
    "home.agreements": ("Recognition agreements and their negotiation history", "互认协议及其协商历史"),
    "home.log": ("The latest signed checkpoint and recent entries", "最新签名检查点和近期日志条目"),
    "home.verify": ("Verify a bundle file you hold", "核验您持有的证据包文件"),
    "col.label_id": ("Label id", "标签编号"),
    "col.product": ("Product", "产品"),
    "col.model": ("Model", "型号"),
    "col.gtin": ("GTIN", "GTIN"),
    "col.manufacturer": ("Manufacturer", "制造商"),
    "col.scheme": ("Scheme", "标签制度"),
    "col.status": ("Status", "状态"),
    "col.index": ("Log index", "日志索引"),
    "label.title": ("Carbon label", "碳标签"),
    "label.product": ("Product", "产品"),
    "label.name": ("Name", "名称"),
    "label.category": ("Category", "类别"),
    "label.site": ("Production site", "生产地"),
    "label.grid": ("grid region", "电网区域"),
    "label.footprint": ("Carbon footprint", "碳足迹"),
    "label.per": ("per", "每"),
    "label.boundary": ("System boundary", "系统边界"),
    "label.gwp": ("GWP sets", "全球变暖潜势(GWP)版本"),
    "label.claim": ("Claim", "声明类型"),
    "label.excl_biogenic": ("Excluding biogenic uptake", "不含生物源吸收"),
    "label.incl_biogenic": ("Including biogenic uptake", "含生物源吸收"),
    "label.stages": ("Greenhouse gas masses by life-cycle stage (kg)", "各生命周期阶段温室气体质量（千克）"),
    "label.stage": ("Stage", "阶段"),
    "label.other_co2e": ("Other (kg CO2e)", "其他（千克CO2e）"),
    "label.reference_period": ("Reference period", "数据参考期"),
    "label.methodology": ("Standards", "依据标准"),
    "label.scheme": ("Scheme", "标签制度"),
    "label.verification": ("Verification", "核查"),
    "label.body": ("Verification body", "核查机构"),
    "label.accreditation": ("Accreditation", "认可"),
    "label.statement": ("Statement", "核查声明"),
    "label.level": ("Assurance level", "保证等级"),
    "label.validity": ("Validity", "有效期"),
    "label.issued": ("Issued", "签发日期"),
    "label.valid_until": ("Valid until", "有效期至"),
    "label.status": ("Status", "状态"),
    "label.status_since": ("since log index", "自日志索引"),
    "label.entry": ("Log entry", "日志条目"),
    "label.check": ("Check this label", "核验此标签"),
    "label.to": ("Your scheme", "您的标签制度"),
    "label.to_none": ("(none: authenticity only)", "（不选：仅核验真伪）"),
    "label.at": ("On date", "核验日期"),
    "label.check_submit": ("Check", "核验"),
    "label.unknown_to": (
        "Scheme {to} is not registered in this log; pick one from the list.",
        "本日志未登记制度 {to}，请从列表中选择。",
    ),
    "label.bad_date": ("{at} is not a date (YYYY-MM-DD); using today.", "{at} 不是有效日期（YYYY-MM-DD），改用今天。"),
    "label.server_check": (
        "These results are this server's own check of the bundle it serves. Do not rely on it alone: download "
        "the bundle and verify it offline with your own trust file:",
        "以下结果是本服务器对其提供的证据包所做的自我核验，请勿仅以此为据：请下载证据包，并用您自己的信任文件离线核验：",
    ),
    "label.server_result": ("This server's check", "本服务器的核验"),
    "label.download": ("Download the bundle", "下载证据包"),
    "label.equivalence": ("Equivalence", "等效性"),
    "label.equivalence_for": ("under {to}", "在 {to} 制度下"),
    "label.no_target": (
        "Pick your scheme above to see whether it recognizes this label.",
        "请在上方选择您的标签制度，查看其是否认可此标签。",
    ),
    "label.agreement": ("Agreement", "协议"),
    "label.converted": ("Converted value", "换算后数值"),
    "label.ambiguous": (
        "This label id is held by several schemes, each its own label; pick the scheme (or add ?scheme=S to the "
        "address):",
        "此标签编号存在于多个制度中，各为不同的标签；请选择制度（或在地址后加 ?scheme=S）：",
    ),
    "verdict.recognized": ("Recognized", "认可"),
    "verdict.recognized_after_conversion": ("Recognized after conversion", "换算后认可"),
    "verdict.not_recognized": ("Not recognized", "不认可"),
    "verdict.no_agreement": ("No recognition agreement", "无互认协议"),
    "verdict.not_asked": ("No scheme picked", "未选择制度"),
    "verdict.not_checked": ("Not checked: the bundle did not verify", "未核验：证据包未通过核验"),
    "status.active": ("active", "有效"),
    "status.revoked": ("revoked", "已撤销"),
    "status.superseded": ("superseded", "已被替代"),
    "step.title": ("Verification steps", "核验步骤"),
    "step.passed": ("passed", "通过"),
    "step.failed": ("failed", "未通过"),
    "step.not_applicable": ("not applicable", "不适用"),
    "step.1": ("parse and schema-validate the bundle and the trust file", "解析并按模式校验证据包和信任文件"),
    "step.2": ("the label's signature verifies under its signer key", "标签签名可由签名密钥验证"),
    "step.3": (
        "the signer key was authorized for issuing by an earlier entry (no revocation reaching the label seen)",
        "签名密钥此前已获签发授权（未见影响该标签的撤销）",
    ),
    "step.3.proven": (
        "the signer key was authorized for issuing by an earlier entry and is proven not revoked before the label",
        "签名密钥此前已获签发授权，且经证明在该标签之前未被撤销",
    ),
    "step.4": (
        "the scheme's registration (and rotations) lead to a root key the trust file names",
        "制度登记（及密钥轮换）指向信任文件中的根密钥",
    ),
    "step.5": (
        "every envelope is included in the checkpoint's tree, in a possible order",
        "所有记录均包含在检查点的默克尔树中，且顺序合理",
    ),
    "step.6": (
        "the checkpoint is signed by the log and cosigned by enough witnesses",
        "检查点由日志签名并有足够见证方联署",
    ),
    "step.7": ("the checkpoint is consistent with the last one kept", "检查点与上次保存的检查点一致"),
    "step.8": ("no revocation or supersession of the label is seen in the bundle", "证据包中未见标签被撤销或替代"),
    "step.8.proven": ("the label's status is proven by the checkpoint's status map", "标签状态由检查点的状态映射证明"),
    "step.9": ("the label is valid on the date asked", "标签在所查询日期有效"),
    "step.10": ("the label is equivalent under the target scheme", "标签在目标制度下等效"),
    "report.verdict": ("Verdict", "结论"),
    "report.authentic": ("Authentic", "真实性"),
    "report.valid": ("Valid on the date", "在该日期有效"),
    "report.yes": ("yes", "是"),
    "report.no": ("no", "否"),
    "report.exit": ("exit code {code}", "退出码 {code}"),
    "exit.0": ("authentic, valid and (when asked) equivalent", "真实、有效，且（如有查询）等效"),
    "exit.3": ("not authentic (steps 2-6)", "不真实（步骤 2-6）"),
    "exit.4": ("authentic but not equivalent, or no agreement (step 10)", "真实但不等效或无协议（步骤 10）"),
    "exit.5": ("unusable input (step 1, or the trust file)", "输入不可用（步骤 1 或信任文件）"),
    "exit.6": (
        "not valid on the date: revoked, superseded or expired (steps 8-9)",
        "在该日期无效：已撤销、被替代或过期（步骤 8-9）",
    ),
    "exit.7": ("checkpoint inconsistent with the one kept (step 7)", "检查点与已保存的不一致（步骤 7）"),
    "verdict.authentic_and_valid": ("authentic and valid", "真实且有效"),
    "verdict.not_authentic": ("not authentic", "不真实"),
    "verdict.not_equivalent": ("authentic, but not equivalent", "真实，但不等效"),
    "verdict.unusable_input": ("unusable input", "输入不可用"),
    "verdict.not_valid": ("authentic, but not valid on the date", "真实，但在该日期无效"),
    "verdict.inconsistent_checkpoint": ("inconsistent checkpoint", "检查点不一致"),
    "verify.title": ("Verify a bundle", "核验证据包"),
    "verify.intro": (
        "Upload a bundle file (from a label page or `carbonledger bundle`). The server verifies it in this "
        "request and keeps nothing. Without a trust file, this log's own keys are trusted.",
        "上传证据包文件（来自标签页面或 `carbonledger bundle`）。服务器在本次请求中核验，不保存任何内容。"
        "未提供信任文件时，信任本日志自身的密钥。",
    ),
    "verify.bundle": ("Bundle file (JSON, at most {limit})", "证据包文件（JSON，不超过 {limit}）"),
    "verify.trust": ("Trust file (optional, at most {limit})", "信任文件（可选，不超过 {limit}）"),
    "verify.submit": ("Verify", "核验"),
    "verify.result": ("Result", "核验结果"),
    "verify.no_bundle": ("Choose a bundle file to verify.", "请选择要核验的证据包文件。"),
    "verify.too_large": ("{what} is {size} bytes; the limit is {limit}.", "{what} 为 {size} 字节，上限为 {limit}。"),
    "verify.upload_too_large": ("The upload is over the limit of {limit}.", "上传内容超过 {limit} 的上限。"),
    "verify.bad_form": ("The form could not be read: {reason}", "无法读取表单：{reason}"),
    "verify.bad_date": ("{at} is not a date (YYYY-MM-DD).", "{at} 不是有效日期（YYYY-MM-DD）。"),
    "verify.trust_default": ("trust: this log's own keys", "信任：本日志自身的密钥"),
    "verify.trust_uploaded": ("trust: the uploaded trust file", "信任：上传的信任文件"),
    "log.title": ("The log", "日志"),
    "log.origin": ("Origin", "日志标识"),
    "log.vkey": ("Verifier key", "验证密钥"),
    "log.size": ("Tree size", "树大小"),
    "log.checkpoint": ("Latest checkpoint", "最新检查点"),
    "log.recent": ("Entries", "日志条目"),
    "log.kind": ("Kind", "类型"),
    "log.signer": ("Signer", "签名者"),
    "log.subject": ("Subject", "对象"),
    "log.time": ("Integrated (UTC)", "写入时间（UTC）"),
    "log.older": ("Older entries", "更早的条目"),
    "log.newest": ("Newest entries", "最新条目"),
    "log.empty": ("The log holds no entries yet.", "日志中还没有条目。"),
    "schemes.title": ("Schemes", "标签制度"),
    "schemes.id": ("Scheme id", "制度编号"),
    "schemes.name": ("Name", "名称"),
    "schemes.name_zh": ("Chinese name", "中文名称"),
    "schemes.role": ("Role", "角色"),
    "schemes.country": ("Country", "国家或地区"),
    "schemes.root": ("Root key id", "根密钥编号"),
    "schemes.registered": ("Registered at index", "登记索引"),
    "schemes.none": ("No scheme is registered yet.", "尚无已登记的标签制度。"),
    "compare.title": ("Compare schemes", "制度比较"),
    "compare.a": ("Scheme A", "制度 A"),
    "compare.b": ("Scheme B", "制度 B"),
    "compare.submit": ("Compare", "比较"),
    "compare.unavailable": ("Comparison is not available in this build.", "此版本不提供制度比较。"),
    "compare.dimension": ("Dimension", "维度"),
    "compare.class": ("Class", "类别"),
    "compare.reason": ("Why", "原因"),
    "compare.kind_standard": ("Standards", "标准"),
    "compare.kind_scheme": ("Schemes", "标签制度"),
    "compare.kind_other": ("Other profiles", "其他档案"),
    "compare.conversion": ("conversion", "换算"),
    "compare.needs": ("label data needed", "所需标签数据"),
    "cls.identical": ("identical", "相同"),
    "cls.convertible": ("convertible by arithmetic", "可通过计算换算"),
    "cls.needs_agreement": ("needs an agreement decision", "需协议约定"),
    "cls.incompatible": ("incompatible", "不兼容"),
    "compare.none": ("Pick two profiles to compare.", "请选择两个方法学档案进行比较。"),
    "compare.unknown": ("No methodology profile {id}.", "没有方法学档案 {id}。"),
    "agreements.title": ("Recognition agreements", "互认协议"),
    "agreements.id": ("Agreement", "协议"),
    "agreements.version": ("Version", "版本"),
    "agreements.schemes": ("Schemes", "制度"),
    "agreements.terms": ("Terms hash", "条款哈希"),
    "agreements.status": ("Status", "状态"),
    "agreements.proposed": ("Proposed at", "提议索引"),
    "agreements.accepted": ("Accepted at", "接受索引"),
    "agreements.withdrawn": ("Withdrawn at", "撤回索引"),
    "agreements.none": ("No recognition agreement is in the log yet.", "日志中尚无互认协议。"),
    "error.not_found": ("Not found", "未找到"),
    "log.bad_before": (
        "{before} is not a log index: give a whole number from 0 to {max}.",
        "{before} 不是有效的日志索引：请给出 0 到 {max} 之间的整数。",
    ),
    "error.back": ("Search labels", "搜索标签"),
    # background datasets (issue 8)
    "nav.datasets": ("Datasets", "背景数据"),
    "datasets.title": ("Background datasets", "背景数据集"),
    "datasets.intro": (
        "Emission-factor datasets signed by their publishers. A new version supersedes the old one without "
        "erasing it; a retired version stays in the log. Labels cite the exact version they used.",
        "由发布方签名的排放因子数据集。新版本替代旧版本但不会删除旧版本；已停用的版本仍保留在日志中。标签引用其所用的确切版本。",
    ),
    "datasets.id": ("Dataset", "数据集"),
    "datasets.version": ("Version", "版本"),
    "datasets.status": ("Status", "状态"),
    "datasets.publisher": ("Publisher", "发布方"),
    "datasets.name": ("Title", "标题"),
    "datasets.none": ("No dataset is published in this log yet.", "本日志中尚无已发布的数据集。"),
    "dstatus.current": ("current", "现行"),
    "dstatus.superseded": ("superseded", "已被替代"),
    "dstatus.retired": ("retired", "已停用"),
    "dataset.kicker": ("Background dataset", "背景数据集"),
    "dataset.superseded_banner": (
        "This version is superseded: its publisher has published a newer version. Labels that cite it stay "
        "checkable; new labels should cite the newer one:",
        "此版本已被替代：发布方已发布更新的版本。引用此版本的标签仍可核验；新标签应引用更新的版本：",
    ),
    "dataset.retired_banner": (
        "The publisher retired this version at log index {index}: {reason}",
        "发布方已于日志索引 {index} 停用此版本：{reason}",
    ),
    "dataset.see_current": ("See the current version (v{version}).", "查看现行版本（v{version}）。"),
    "dataset.bad_version": ("{version} is not a version number.", "{version} 不是有效的版本号。"),
    "dataset.entry": ("Entry id", "条目编号"),
    "dataset.geography": ("Geography", "地理范围"),
    "dataset.years": ("Data years", "数据年份"),
    "dataset.licence": ("Licence", "许可"),
    "dataset.transcribed_by": ("Transcribed by", "转录方"),
    "dataset.description": ("Description", "说明"),
    "dataset.values": ("Values", "数值"),
    "dataset.key": ("Key", "键"),
    "dataset.value": ("Value", "数值"),
    "dataset.unit": ("Unit", "单位"),
    "dataset.kind": ("Kind", "类型"),
    "dataset.year": ("Year", "年份"),
    "dataset.attributes": ("Scope, gases, basis", "范围、气体、核算基础"),
    "dataset.source": ("Source", "来源"),
    "dataset.confidence": ("Confidence", "可信度"),
    "dataset.release": ("Release", "发行版"),
    "dataset.file": ("File", "文件"),
    "dataset.size": ("Bytes", "字节"),
    "dataset.versions": ("Versions", "版本"),
    "dataset.all": ("All datasets", "全部数据集"),
    "confidence.confirmed": ("confirmed from the source", "经来源确认"),
    "confidence.secondary": ("secondary source only", "仅有二手来源"),
    "confidence.unconfirmed": ("unconfirmed", "未确认"),
    # recognition agreements on the web (issue 7): the agreements page's history, the label page's verdict
    "eq.from_log": (
        "Judged on {at} from every agreement entry in this log.",
        "依据本日志中的全部协议条目，按 {at} 判定。",
    ),
    "eq.version": ("version {version}", "第 {version} 版"),
    "eq.in_force_by": ("In force by the accept at", "生效依据（接受条目）"),
    "eq.failed_conditions": ("Conditions the label does not meet", "标签未满足的条件"),
    "eq.field": ("Label field", "标签字段"),
    "eq.op": ("Test", "判定"),
    "eq.actual": ("Label has", "标签数值"),
    "eq.required": ("Required", "要求"),
    "eq.why": ("Why", "原因"),
    "eq.approximate": ("approximate", "近似值"),
    "eq.trail": ("Conversion steps", "换算步骤"),
    "agreements.in_force": ("In force (UTC)", "生效期间（UTC）"),
    "agreements.open_ended": ("open-ended", "无固定终止"),
    "agreements.history": ("Negotiation history", "协商历史"),
    "agreements.time": ("Signed at (UTC)", "签署时间（UTC）"),
    "agreements.by": ("Signed by", "签署方"),
    "agreements.note": ("Note", "备注"),
    "agreements.answers": ("counter-proposal to version {version}", "针对第 {version} 版的反提议"),
    "agreements.no_history": ("No agreement entry is in the log yet.", "日志中尚无协议条目。"),
    "astatus.proposed": ("proposed", "已提议"),
    "astatus.in_force": ("in force", "生效中"),
    "astatus.superseded": ("superseded", "已被取代"),
    "astatus.withdrawn": ("withdrawn", "已撤回"),
    "astatus.expired": ("expired", "已到期"),
}


_TABLE.update(PICTURE_STRINGS)
_TABLE.update(PAGE_STRINGS)


def translator(lang: str) -> Callable[..., str]:
    """``t(key, default=None, **values)``: the string for ``key`` in ``lang`` with ``{name}`` fields filled in
    (``default``, else the key itself, when the table lacks ``key``)."""
    column = 1 if lang == ZH else 0

    def t(key: str, default: str | None = None, **values: object) -> str:
        pair = _TABLE.get(key)
        if pair is None:
            return key if default is None else default
        text = pair[column]
        return text.format(**values) if values else text

    return t


def keys() -> frozenset[str]:
    return frozenset(_TABLE)


def choose_lang(request: Request) -> tuple[str, bool]:
    """The page language and whether the query chose it (then links carry it on)."""
    asked = request.query_params.get("lang", "").strip().lower()
    if asked in QUERY_VALUES:
        return QUERY_VALUES[asked], True
    return _from_accept_language(request.headers.get("accept-language", "")), False


def _from_accept_language(header: str) -> str:
    best, best_q = EN, -1.0
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        q = 1.0
        for p in params.split(";"):
            name, _, value = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0 or not tag:
            continue
        lang = ZH if tag == "zh" or tag.startswith(("zh-", "zh_")) else EN if tag.startswith("en") else None
        if lang is not None and q > best_q:  # on ties the earlier tag wins: the header lists preference order
            best, best_q = lang, q
    return best
