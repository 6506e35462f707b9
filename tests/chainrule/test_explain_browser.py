"""``chainrule explain`` in a real browser: headless Debian Chromium driven by Selenium.

The test clicks through the forward and the backward pass as a student
would, reads the ∇_W⁽¹⁾ L the page displays and compares it with the
framework's number. It uses the system's ``chromium`` and ``chromedriver``
(Debian's ``chromium`` and ``chromium-driver``; ``.ci/run`` installs them)
and never downloads a browser; without them it is skipped and says why.
Screenshots go to ``tmp_path``, or to ``$CHAINRULE_SCREENSHOTS`` when set.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chainrule.explainer import explain
from chainrule.model import mlp
from chainrule.trace import notes_trace
from chainrule.tracer import trace_net
from losses import SoftmaxCrossEntropyLoss

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync",
         "--window-size=1400,1000"]  # fmt: skip


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).is_file()]
    if missing:
        pytest.skip(f"no headless browser: {', '.join(missing)} missing "
                    "(apt-get install chromium chromium-driver)")  # fmt: skip
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")  # Selenium Manager: never fetch a browser or driver
        driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def _screenshot(driver: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    assert driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    folder = os.environ.get("CHAINRULE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / name)
    return path


def _step_to(driver: Any, name: str) -> None:
    """Click ``next`` until the step panel shows the gradient called ``name``."""
    by = pytest.importorskip("selenium.webdriver.common.by").By
    for _ in range(200):
        if driver.find_element(by.ID, "step-name").text == name:
            return
        button = driver.find_element(by.ID, "next")
        assert button.is_enabled(), f"walked past the last step without reaching {name}"
        button.click()
    raise AssertionError(f"never reached {name}")


def _displayed_result(driver: Any) -> tuple[np.ndarray, list[str]]:
    """The exact values (hover titles) and the shown texts of the step's result."""
    by = pytest.importorskip("selenium.webdriver.common.by").By
    cells = driver.find_elements(by.CSS_SELECTOR, "#result table.heat tr")
    exact = [[float(td.get_attribute("title")) for td in row.find_elements(by.TAG_NAME, "td")]
             for row in cells]  # fmt: skip
    shown = [td.text for td in driver.find_elements(by.CSS_SELECTOR, "#result td")]
    return np.array(exact), shown


def test_notes_example_clicked_through_shows_the_frameworks_gradient(
    browser: Any, tmp_path: Path
) -> None:
    by = pytest.importorskip("selenium.webdriver.common.by").By
    page = tmp_path / "explain.html"
    explain(path=page)
    browser.get(page.as_uri())
    assert browser.find_element(by.ID, "step-name").text == ""  # nothing computed yet
    _step_to(browser, "L")  # the forward pass, node by node
    assert browser.find_element(by.CSS_SELECTOR, "#result .scalar").text == "0.0625"
    _step_to(browser, "∇_W⁽¹⁾ L")  # then the whole backward pass
    assert browser.find_element(by.ID, "equation").text == "∇_W⁽¹⁾ L = (∇_z L) xᵀ"
    exact, shown = _displayed_result(browser)
    expected = notes_trace().as_dict()["grad_W1"]
    np.testing.assert_array_equal(exact, expected)  # the framework's numbers, exactly
    assert shown == ["-0.125", "-0.25", "0.0938", "0.188"]  # as the cells print them
    assert "current" in browser.find_element(by.CSS_SELECTOR, '[data-node="1"]').get_attribute(
        "class"
    )
    _screenshot(browser, tmp_path, "explain-notes-grad-W1.png")


def test_batch_toggle_and_keyboard_on_a_net_of_its_own(browser: Any, tmp_path: Path) -> None:
    by = pytest.importorskip("selenium.webdriver.common.by").By
    keys = pytest.importorskip("selenium.webdriver.common.keys").Keys
    rng = np.random.default_rng(0)
    net, X, t = mlp(4, 8, 3, rng=0), rng.normal(size=(4, 4)), rng.integers(0, 3, 4)
    page = tmp_path / "explain-4-8-3.html"
    explain(net, X, t, SoftmaxCrossEntropyLoss(), path=page)
    browser.get(page.as_uri())
    browser.find_element(by.ID, "view-1").click()  # the batch of 4
    body = browser.find_element(by.TAG_NAME, "body")
    body.send_keys(keys.END)  # the last step is ∇_b⁽¹⁾ L, so go back one to ∇_W⁽¹⁾ L
    body.send_keys(keys.ARROW_LEFT)
    assert browser.find_element(by.ID, "step-name").text == "∇_W⁽¹⁾ L"
    exact, _ = _displayed_result(browser)
    expected = trace_net(net, X, t, SoftmaxCrossEntropyLoss()).as_dict()["grad_W1"]
    np.testing.assert_array_equal(exact, expected)
    _screenshot(browser, tmp_path, "explain-4-8-3-batch.png")
