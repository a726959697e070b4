"""Names and titles from the records in each Chinese script (issue 19): a dataset's ``title_zh`` on the Chinese
dataset list, a scheme's or profile's Traditional name (``name_zh_hant``) on zh-Hant pages.

The faults guarded: the dataset list showed every title in English whatever the page's language, though the
publisher signed a Chinese one; Hong Kong readers were given a scheme's Simplified name where a Traditional
form of that very name is stated.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from ledger.reads import SchemeInfo
from ledger.web.compare_view import profile_choices
from ledger.web.i18n import EN, ZH_HANS, ZH_HANT
from ledger.web.scheme_names import chinese_scheme_name, profile_name, scheme_display_name
from mapping.profiles import Profile, get_profile

CN_POWER = "cn-electricity-footprint"


@pytest.fixture(scope="module")
def client(demo_pages: TestClient) -> TestClient:
    return demo_pages


def titles_on(html: str) -> dict[str, str]:
    """The title shown for each dataset version on the list: ``id vN`` → title."""
    rows = re.findall(
        r'data-dataset="([^"]+)" data-version="(\d+)">.*?<td class="dataset-title" lang="[^"]+">([^<]*)</td>',
        html,
        re.DOTALL,
    )
    return {f"{d} v{v}": unescape(title) for d, v, title in rows}


@pytest.mark.parametrize("lang", ["zh", "zh-hant"])
def test_the_chinese_dataset_list_shows_the_signed_chinese_title(client: TestClient, lang: str) -> None:
    signed = {
        f"{d['id']} v{d['version']}": client.get(f"/v1/datasets/{d['id']}", params={"version": d["version"]}).json()
        for d in _listed(client)
    }
    shown = titles_on(client.get("/datasets", params={"lang": lang, "limit": 100}).text)
    assert shown and set(shown) == set(signed)
    assert shown[f"{CN_POWER} v1"] == "全国电力平均碳足迹因子（2023年、2024年）"  # no title_zh_hant: title_zh
    for version, body in signed.items():
        assert shown[version] == (body.get("title_zh") or body["title"]), version  # English where none is signed
    assert any(not body.get("title_zh") for body in signed.values())  # the fallback is exercised


def test_the_english_dataset_list_keeps_the_english_title(client: TestClient) -> None:
    shown = titles_on(client.get("/datasets", params={"lang": "en", "limit": 100}).text)
    assert shown[f"{CN_POWER} v1"] == client.get(f"/v1/datasets/{CN_POWER}").json()["title"]
    assert '<td class="dataset-title" lang="en">' in client.get("/datasets", params={"lang": "en"}).text


def _listed(client: TestClient) -> list[dict[str, object]]:
    return client.get("/v1/datasets", params={"limit": 100}).json()


# ---- scheme and profile names -----------------------------------------------------------------------------------
HK = SchemeInfo(
    "hk-cma-carbon-label", "Hong Kong CMA Testing carbon label", "香港厂商会检定中心碳标签", "scheme", "HK", "k", 3
)
FORMS = {"hk-cma-carbon-label": ("香港厂商会检定中心碳标签", "香港廠商會檢定中心碳標籤")}


def test_hong_kong_readers_get_the_traditional_form_of_the_registered_name() -> None:
    assert chinese_scheme_name(HK, ZH_HANT, FORMS) == "香港廠商會檢定中心碳標籤"
    assert scheme_display_name(HK, ZH_HANT, FORMS) == "香港廠商會檢定中心碳標籤"
    assert scheme_display_name(HK, ZH_HANS, FORMS) == "香港厂商会检定中心碳标签"
    assert scheme_display_name(HK, EN, FORMS) == "Hong Kong CMA Testing carbon label"


def test_a_traditional_form_of_another_name_is_not_shown_for_the_registered_one() -> None:
    """The profile's Traditional name is of the profile's own ``name_zh``: a scheme registered under another
    Chinese name keeps it (as registered) rather than gain a name it never registered."""
    other = {"hk-cma-carbon-label": ("另一个名称", "另一個名稱")}
    assert scheme_display_name(HK, ZH_HANT, other) == "香港厂商会检定中心碳标签"
    unnamed = SchemeInfo("x-scheme", "X scheme", None, "scheme", None, "k", 4)
    assert scheme_display_name(unnamed, ZH_HANT, FORMS) == "X scheme"


def _profile_with(**names: str | None) -> Profile:
    """A shipped profile with its names replaced, as the loader would read that document."""
    shipped = get_profile("gd-carbon-label").to_dict()
    doc = {k: v for k, v in shipped.items() if not k.startswith("name_zh")} | {"name_zh": None} | names
    return Profile(
        doc["id"],
        doc["version"],
        doc["kind"],
        doc["name"],
        doc["name_zh"],
        None,
        None,
        "p",
        json.dumps(doc),
        name_zh_hant=doc.get("name_zh_hant"),
    )


def test_the_compare_page_names_a_profile_in_the_readers_script() -> None:
    both = _profile_with(name_zh="广东产品碳足迹评价与标识", name_zh_hant="廣東產品碳足跡評價與標識")
    assert profile_name(both, ZH_HANT) == "廣東產品碳足跡評價與標識"
    assert profile_name(both, ZH_HANS) == "广东产品碳足迹评价与标识"
    simplified_only = _profile_with(name_zh="广东产品碳足迹评价与标识")
    assert profile_name(simplified_only, ZH_HANT) == "广东产品碳足迹评价与标识"  # as recorded, not converted
    english_only = _profile_with(name_zh=None)
    assert profile_name(english_only, ZH_HANT) == english_only.name
    assert profile_choices([both], ZH_HANT)[0]["label"] == "廣東產品碳足跡評價與標識"


def test_the_schemes_page_shows_the_registered_chinese_name(client: TestClient) -> None:
    html = client.get("/schemes", params={"lang": "zh"}).text
    named = [s for s in client.get("/v1/schemes", params={"limit": 100}).json() if s["name_zh"]]
    assert named
    for s in named:
        assert f'<tr data-scheme="{s["id"]}">' in html and f'<td lang="zh">{s["name_zh"]}</td>' in html, s["id"]


def test_the_zh_hant_compare_page_names_shipped_profiles_in_traditional(client: TestClient) -> None:
    page = {"a": "gd-carbon-label", "b": "cn-cnca-cfp-label"}
    hant = client.get("/schemes/compare", params={**page, "lang": "zh-hant"}).text
    hans = client.get("/schemes/compare", params={**page, "lang": "zh"}).text
    assert "廣東產品碳足跡評價與標識" in hant and "產品碳足跡標識認證" in hant
    assert "广东产品碳足迹评价与标识" in hans and "廣東產品碳足跡評價與標識" not in hans


def test_every_shipped_traditional_name_is_a_form_of_the_chinese_name() -> None:
    """``name_zh_hant`` is ``name_zh`` in Traditional characters (mapping/data/profiles/README.md): a name of its
    own, or one without a ``name_zh``, would be an unsourced name."""
    from mapping.profiles import list_profiles

    forms = [
        (p.id, p.document.get("name_zh"), p.document["name_zh_hant"])
        for p in list_profiles()
        if "name_zh_hant" in p.document
    ]
    assert len(forms) >= 7
    for pid, simplified, traditional in forms:
        assert simplified and len(traditional) == len(simplified), pid
