"""What a Swedish or English user reads in Chromium where Streamlit draws its own text: the
file uploader's built-in English replaced from the catalogue, and option widgets whose label
follows a language switch."""

from __future__ import annotations

import pytest

from pax_geo import i18n
from tests.browser_support import ARTIFACTS, DESKTOP, login, open_page, shot, wait_idle

pytestmark = pytest.mark.browser


@pytest.fixture
def viewport() -> tuple[str, dict]:
    return "desktop", DESKTOP


UPLOADER = """() => {
  const p = document.querySelector(
    '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p');
  const s = document.querySelector('[data-testid="stFileUploaderDropzoneInstructions"] span');
  if (!p || !s) return null;
  const after = (e) => getComputedStyle(e, '::after').content.replace(/^"|"$/g, '');
  return {button: after(p), buttonSize: getComputedStyle(p).fontSize,
          limit: after(s), limitSize: getComputedStyle(s).fontSize,
          buttonBox: p.getBoundingClientRect().width};
}"""


def test_file_uploader_reads_swedish(page, app_url):
    login(page, app_url, "admin")
    open_page(page, "Import")
    page.locator('[data-testid="stFileUploader"]').wait_for(state="visible", timeout=30_000)
    seen = page.evaluate(UPLOADER)
    shot(page, "import-uploader-sv")
    page.locator('[data-testid="stFileUploader"]').screenshot(
        path=str(ARTIFACTS / "import-uploader-sv-crop.png")
    )
    assert seen is not None
    # The Swedish text is drawn (and takes room), the built-in English is not.
    assert seen["button"] == i18n.t("upload_button", "sv")
    assert seen["limit"] == i18n.t("upload_limit", "sv", mb=200)
    assert seen["buttonSize"] == "0px" and seen["limitSize"] == "0px"
    assert seen["buttonBox"] > 20


def _analysis_value(page, label: str) -> str:
    """The text the analysis-mode selectbox shows (its combobox input's value)."""
    box = page.get_by_role("combobox", name=label).first
    box.wait_for(state="visible", timeout=30_000)
    return box.input_value().strip()


def test_analysis_mode_follows_a_switch_to_english(page, app_url):
    login(page, app_url, "police_analyst")
    assert _analysis_value(page, i18n.t("analysis_mode", "sv")) == i18n.t("analysis_none", "sv")
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="English").click()
    wait_idle(page)
    page.get_by_role("heading", name=i18n.t("page_har_och_nu", "en")).wait_for(timeout=30_000)
    wait_idle(page)
    shot(page, "har-och-nu-english")
    assert _analysis_value(page, i18n.t("analysis_mode", "en")) == i18n.t("analysis_none", "en")
    # Multiselect placeholders are the catalogue's, not Streamlit's "Choose options".
    placeholders = page.locator('[data-testid="stMain"] [data-testid="stMultiSelect"] input')
    texts = [placeholders.nth(i).get_attribute("placeholder") for i in range(placeholders.count())]
    assert i18n.t("subtypes_all", "en") in texts and i18n.t("areas_all", "en") in texts
    assert not any((text or "").startswith("Choose") for text in texts), texts
