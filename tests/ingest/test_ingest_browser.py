"""The import page in Debian's Chromium: the file uploader reads Swedish at tablet and desktop
sizes (Streamlit's built-in English replaced from the catalogue); then, at an administrator's
desk (1440x900), upload a real file, see it on the preview map, map the missing field, dry-run it
and read the result. One signed-in session, its window resized. Screenshots in artifacts/."""

from __future__ import annotations

import pytest

from pax_geo import i18n
from tests.browser_support import (
    ARTIFACTS,
    DESKTOP,
    TABLET,
    distinct_colours,
    login,
    open_page,
    settled_image,
    shot,
    wait_idle,
)

pytestmark = pytest.mark.browser


def tr(key: str, **fmt) -> str:
    return i18n.t(key, "sv", **fmt)


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


def pick(page, label: str, option: str) -> None:
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.scroll_into_view_if_needed()
    box.click()
    options = page.get_by_role("option", name=option, exact=True)
    if options.count() == 0:  # some Streamlit builds render options without the role
        page.keyboard.type(option)
        page.keyboard.press("Enter")
    else:
        options.first.click()
    wait_idle(page)


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_uploader_reads_swedish_then_upload_preview_and_dry_run(page, app_url, shared_data):
    path = shared_data / "stockholm_stadsdelar/stadsdelar_utan_vatten_simplified.geo.json"
    login(page, app_url, "admin")
    open_page(page, tr("page_import"))
    assert page.get_by_role("heading", name=tr("page_import"), exact=True).is_visible()

    page.locator('[data-testid="stFileUploader"]').wait_for(state="visible", timeout=30_000)
    for name, size in (("tablet", TABLET), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.viewport_name = name
        page.wait_for_timeout(500)
        seen = page.evaluate(UPLOADER)
        shot(page, "import-uploader-sv")
        page.locator('[data-testid="stFileUploader"]').screenshot(
            path=str(ARTIFACTS / f"import-uploader-sv-crop-{name}.png")
        )
        assert seen is not None, name
        # The Swedish text is drawn (and takes room), the built-in English is not.
        assert seen["button"] == i18n.t("upload_button", "sv")
        assert seen["limit"] == i18n.t("upload_limit", "sv", mb=200)
        assert seen["buttonSize"] == "0px" and seen["limitSize"] == "0px"
        assert seen["buttonBox"] > 20, name

    pick(page, tr("import_layer"), tr("import_layer_area"))
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    wait_idle(page)
    page.get_by_text(tr("import_preview_rows", n="117", crs="EPSG:4326 (WGS84)")).wait_for(
        timeout=60_000
    )
    canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
    img = settled_image(canvas, ready=lambda im: distinct_colours(im) > 3).resize((160, 120))
    assert len(set(img.tobytes()[i : i + 3] for i in range(0, 160 * 120 * 3, 3))) > 3, (
        "the preview map shows nothing"
    )
    shot(page, "import-preview-stockholm")

    # 'kind' has no column in the file: give it as a fixed value, then dry-run
    pick(page, tr("import_constant"), "district")
    page.get_by_role("button", name=tr("import_dry_run")).click()
    wait_idle(page)
    result = page.locator('[data-testid="stAlert"]').filter(has_text="Provkörning").first
    result.wait_for(timeout=120_000)
    assert "117 skulle bli nya" in result.inner_text()
    shot(page, "import-dry-run-stockholm")
