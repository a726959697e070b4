"""The QR code printed on a product: what it encodes and the picture (``carbonledger label qr``).

A product with a GTIN gets its GS1 Digital Link URI, ``<base>/01/<GTIN-14>`` (GS1 Digital Link URI syntax 1.2),
which this log resolves to the product's current label (``ledger.digital_link``): a reprinted label needs no new
package. A product without a GTIN gets its label page's URL. ISO/IEC 18004 asks for a quiet zone of 4 modules
around the symbol; a caption (SVG only) is set below it in the quiet zone's colours.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from mapping.errors import InputError, MissingExtraError
from mapping.gtin import gtin14, is_valid_gtin

from .digital_link import label_path
from .tables import LabelRow

__all__ = ["QUIET_ZONE", "qr_image", "qr_target"]

QUIET_ZONE = 4  # modules (ISO/IEC 18004 §6.3.8)
SCALE = 8  # pixels (SVG units) per module
MAX_CAPTION = 80
_XML_DECL = '<?xml version="1.0" encoding="utf-8"?>\n'


def qr_target(row: LabelRow, label: dict[str, Any], base_url: str) -> tuple[str, str]:
    """(URL, kind): the product's GS1 Digital Link URI when it has a valid GTIN, else the label page's URL."""
    base = base_url.rstrip("/")
    for ident in label["product"].get("ids", ()):
        if ident["system"] == "gtin" and is_valid_gtin(ident["value"]):
            return f"{base}/01/{gtin14(ident['value'])}", "gs1_digital_link"
    return base + label_path(row), "label_page"


def qr_image(url: str, fmt: str, caption: str | None = None) -> bytes:
    """The QR code of ``url`` as ``svg`` or ``png`` bytes, with a 4-module quiet zone and an optional caption."""
    try:
        import segno
    except ImportError as e:  # the default install is the verifier's; QR codes come with the server extra
        raise MissingExtraError("server", "label qr", e) from e
    if caption is not None and fmt != "svg":
        raise InputError("--caption is drawn in SVG only: write FILE.svg", code="input.invalid", field="--caption")
    if caption is not None and (len(caption) > MAX_CAPTION or not caption.isprintable()):
        raise InputError(
            f"--caption must be printable text of at most {MAX_CAPTION} characters",
            code="input.invalid",
            field="--caption",
        )
    code = segno.make(url, error="m")
    out = io.BytesIO()
    if fmt == "png":
        code.save(out, kind="png", scale=SCALE, border=QUIET_ZONE, light="#fff")
        return out.getvalue()
    code.save(out, kind="svg", scale=SCALE, border=QUIET_ZONE, xmldecl=False, title=url, light="#fff")
    svg = out.getvalue().decode()
    return (_XML_DECL + (_with_caption(svg, code, caption) if caption else svg)).encode()


def _with_caption(svg: str, code: Any, caption: str) -> str:
    """``svg`` taller by one text line on white, ``caption`` centred in it below the quiet zone."""
    width, height = code.symbol_size(scale=SCALE, border=QUIET_ZONE)
    taller = height + 3 * SCALE
    head, sep, rest = svg.partition(">")
    head = head.replace(f'height="{height}"', f'height="{taller}" viewBox="0 0 {width} {taller}"', 1)
    body, _, tail = rest.rpartition("</svg>")
    strip = f'<rect x="0" y="{height}" width="{width}" height="{taller - height}" fill="#fff"/>'
    text = (
        f'<text x="{width // 2}" y="{height + 2 * SCALE}" text-anchor="middle" font-family="sans-serif" '
        f'font-size="{2 * SCALE}" fill="#000">{escape(caption)}</text>'
    )
    return head + sep + body + strip + text + "</svg>" + tail
