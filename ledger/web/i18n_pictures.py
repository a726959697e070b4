"""The pages' strings for the label page's banner, charts and QR code and the log page's growth and witnesses
(issue 19 items 2-3), in English and Simplified Chinese: part of the one table in :mod:`ledger.web.i18n`."""

from __future__ import annotations

# key: (English, 简体中文)
PICTURE_STRINGS: dict[str, tuple[str, str]] = {
    "banner.valid": ("Authentic and valid", "真实且有效"),
    "banner.revoked": ("Revoked", "已撤销"),
    "banner.superseded": ("Superseded", "已被取代"),
    "banner.expired": ("Expired", "已过期"),
    "banner.not_yet_valid": ("Not yet valid", "尚未生效"),
    "banner.not_authentic": ("Not authentic", "不真实"),
    "banner.valid_detail": (
        "Authentic: signed in the public log, replayed by its rule book. Valid until {until}.",
        "真实：已签入公开日志，并经其规则手册重放核验。有效期至 {until}。",
    ),
    "banner.revoked_detail": ("Revoked on {since}. Reason given: {reason}", "已于 {since} 撤销。给出的原因：{reason}"),
    "banner.superseded_detail": ("Replaced on {since} by a newer label.", "已于 {since} 被新标签取代。"),
    "banner.expired_detail": ("Authentic, but its validity ended on {since}.", "真实，但有效期已于 {since} 结束。"),
    "banner.not_yet_valid_detail": ("Authentic, but valid only from {since}.", "真实，但自 {since} 起才生效。"),
    "banner.not_authentic_detail": (
        "The log's own evidence for this label did not check out: do not rely on it. The steps below say why.",
        "日志自身关于该标签的证据未通过核验：请勿采信。下方各步骤说明了原因。",
    ),
    "banner.not_relied_on": (
        "but this label is not valid, so it cannot be relied on",
        "但该标签当前无效，不能采信",
    ),
    "banner.why": ("why", "原因"),
    "chart.by_stage": ("CO2e per life-cycle stage, split by gas", "各生命周期阶段的 CO2e（按气体细分）"),
    "chart.by_gas": ("CO2e by gas, all stages", "各气体的 CO2e（全部阶段）"),
    "chart.none": ("No chart", "无图表"),
    "stage.raw-materials": ("raw materials", "原材料获取"),
    "stage.production": ("production", "生产"),
    "stage.distribution": ("distribution", "分销"),
    "stage.use": ("use", "使用"),
    "stage.end-of-life": ("end of life", "废弃处置"),
    "qr.title": ("QR code for the package", "产品包装二维码"),
    "log.growth": ("Tree size over time", "日志规模随时间的增长"),
    "log.witnessed_by": (
        "Cosigned by {n} of {total} witnesses (policy: {k})",
        "由 {total} 个见证方中的 {n} 个联署（策略：{k}）",
    ),
    "log.signature_lines": (
        "Signature lines on this checkpoint (names as written: a buyer's verifier checks them against its trust file)",
        "该检查点上的签名行（名称如所写；买方的核验程序会对照其信任文件检查）",
    ),
}
