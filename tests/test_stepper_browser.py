"""The stepper's page in a real browser: headless Chromium driven by selenium, with the network
off. Skipped where selenium, Chromium or chromedriver is missing (Debian: `apt install
chromium chromium-driver`; `pip install -e '.[dev]'` brings selenium)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
from autograd.formatting import describe

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

BROWSER = next(filter(None, map(shutil.which, ("chromium", "chromium-browser",
                                              "google-chrome"))), None)
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(BROWSER is None or DRIVER is None,
                                reason="Chromium or chromedriver is not installed")


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(DRIVER))
    except WebDriverException as error:  # e.g. a chromedriver of another version
        pytest.skip(f"Chromium does not start: {error.msg}")
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    yield driver
    driver.quit()


def neuron() -> ag.Value:
    """The lecture's neuron: y = 1 + 4 sigmoid(w . x + bias), scored against 4."""
    xs = [ag.Value(v, requires_grad=False, name=f"x{i}") for i, v in enumerate([0.5, -1.5, 2.0])]
    ws = [ag.Value(v, name=f"w{i}") for i, v in enumerate([0.8, 0.3, -0.4])]
    with ag.scope("neuron"):
        z = xs[0] * ws[0] + xs[1] * ws[1] + xs[2] * ws[2] + ag.Value(0.1, name="bias")
        y = 1.0 + 4.0 * ag.sigmoid(z)
    loss = ag.mse_loss(y, ag.Value(4.0, requires_grad=False, name="target"))
    loss.name = "loss"
    return loss


def small_graph() -> ag.Value:
    a, b = ag.Value(2.0, name="a"), ag.Value(-3.0, name="b")
    loss = (a * b + a) ** 2
    loss.name = "L"
    return loss


def open_page(browser, path: Path) -> None:
    browser.get(path.as_uri())
    browser.get_log("browser")  # start each page with an empty log


def press(browser, key: str, times: int = 1) -> None:
    for _ in range(times):
        ActionChains(browser).send_keys(key).perform()


def counter(browser) -> str:
    return browser.find_element(By.CSS_SELECTOR, ".counter").text


def shown_numbers(browser) -> dict:
    """What the panel shows: the upstream gradient and each input's local derivative, grad
    passed and gradient so far, by the input's label."""
    panel = browser.find_element(By.CSS_SELECTOR, ".panel")
    rows = {}
    for row in panel.find_elements(By.CSS_SELECTOR, ".inputs tbody tr"):
        cells = {role: row.find_elements(By.CSS_SELECTOR, f'[data-role="{role}"]')
                 for role in ("local", "passed", "total")}
        rows.setdefault(row.get_attribute("data-input"), []).append(
            {role: found[0].text if found else None for role, found in cells.items()})
    upstream = panel.find_elements(By.CSS_SELECTOR, '[data-role="upstream"]')
    return {"upstream": upstream[0].text if upstream else None, "inputs": rows}


def problems(browser) -> list[dict]:
    """Console errors and warnings, and anything the page fetched."""
    logged = [entry for entry in browser.get_log("browser")
              if entry["level"] in ("SEVERE", "WARNING")]
    fetched = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    return logged + [{"fetched": name} for name in fetched]


def test_each_step_shows_explain_backwards_numbers(browser, tmp_path):
    loss = neuron()
    steps = ag.explain_backward(loss).steps
    open_page(browser, ag.step_through(loss).save(tmp_path / "neuron.html"))
    assert counter(browser) == f"step 0 of {len(steps)}"
    assert shown_numbers(browser) == {"upstream": None, "inputs": {}}
    so_far: dict[ag.Value, float] = {}  # each Value's gradient so far, summed as backward does
    for step in steps:
        press(browser, Keys.ARROW_RIGHT)
        assert counter(browser) == f"step {step.number} of {len(steps)}"
        shown = shown_numbers(browser)
        assert shown["upstream"] == describe(step.upstream)
        expected: dict[str, list] = {}
        for item in step.inputs:
            numbers = {"local": None, "passed": None, "total": None}
            if item.grad is not None:
                total = describe(item.grad)
                if item.value in so_far:
                    total = f"{describe(so_far[item.value])} + {total} = "
                    so_far[item.value] += item.grad
                    total += describe(so_far[item.value])
                else:
                    so_far[item.value] = item.grad
                numbers = {"local": describe(item.local), "passed": describe(item.grad),
                           "total": total}
            expected.setdefault(item.label, []).append(numbers)
        assert shown["inputs"] == expected
    assert problems(browser) == []


def test_the_accumulation_of_a_value_used_twice_is_shown(browser, tmp_path):
    open_page(browser, ag.step_through(small_graph()).save(tmp_path / "small.html"))
    press(browser, Keys.ARROW_RIGHT, 3)
    assert shown_numbers(browser)["inputs"]["a"] == [{"local": "-3", "passed": "24",
                                                     "total": "-8 + 24 = 16"}]
    assert problems(browser) == []


def test_the_last_step_shows_every_leafs_final_gradient_in_its_box(browser, tmp_path):
    loss = neuron()
    leaves = {leaf.label: describe(leaf.grad) for leaf in ag.explain_backward(loss).leaves}
    open_page(browser, ag.step_through(loss).save(tmp_path / "neuron.html"))
    press(browser, Keys.END)  # not a key of the stepper: nothing happens
    assert counter(browser).startswith("step 0 ")
    press(browser, Keys.ARROW_RIGHT, 100)
    shown = browser.execute_script("""
        const boxes = {};
        for (const node of document.querySelectorAll('.node')) {
          const title = node.querySelector('.title');
          const grad = node.querySelector('text.grad');
          if (title && grad) boxes[title.textContent] = [grad.textContent,
                                                         grad.classList.contains('partial')];
        }
        return boxes;""")
    for label, grad in leaves.items():
        assert shown[label] == [f"grad {grad}", False]
    assert problems(browser) == []


def test_step_0_shows_the_forward_values_and_no_gradient(browser, tmp_path):
    open_page(browser, ag.step_through(small_graph()).save(tmp_path / "small.html"))
    texts = browser.execute_script(
        "return [...document.querySelectorAll('text.grad')].map(t => t.textContent)")
    assert texts and set(texts) == {""}
    assert "data 16" in browser.find_element(By.CSS_SELECTOR, "svg").text
    assert "the forward pass" in browser.find_element(By.CSS_SELECTOR, ".panel").text


def test_keys_and_buttons_stop_at_both_ends(browser, tmp_path):
    open_page(browser, ag.step_through(small_graph()).save(tmp_path / "small.html"))
    previous = browser.find_element(By.CSS_SELECTOR, ".prev")
    following = browser.find_element(By.CSS_SELECTOR, ".next")
    press(browser, Keys.ARROW_LEFT)
    assert counter(browser) == "step 0 of 3" and not previous.is_enabled()
    press(browser, Keys.ARROW_RIGHT, 5)
    assert counter(browser) == "step 3 of 3" and not following.is_enabled()
    previous.click()
    assert counter(browser) == "step 2 of 3"
    following.click()
    assert counter(browser) == "step 3 of 3"
    assert problems(browser) == []


def test_the_slider_jumps_to_a_step(browser, tmp_path):
    loss = neuron()
    steps = ag.explain_backward(loss).steps
    open_page(browser, ag.step_through(loss).save(tmp_path / "neuron.html"))
    browser.execute_script("""
        const slider = document.querySelector('.slider');
        slider.value = '5';
        slider.dispatchEvent(new Event('input'));""")
    assert counter(browser) == f"step 5 of {len(steps)}"
    assert shown_numbers(browser)["upstream"] == describe(steps[4].upstream)
    press(browser, Keys.ARROW_LEFT)
    assert counter(browser) == f"step 4 of {len(steps)}"


def test_two_steppers_on_one_page_step_on_their_own(browser, tmp_path):
    first, second = ag.step_through(small_graph()), ag.step_through(neuron())
    page = tmp_path / "two.html"
    page.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
                    f"{first._repr_html_()}{second._repr_html_()}</body></html>",
                    encoding="utf-8")
    open_page(browser, page)
    roots = browser.find_elements(By.CSS_SELECTOR, ".sg-stepper")
    counters = [root.find_element(By.CSS_SELECTOR, ".counter") for root in roots]
    press(browser, Keys.ARROW_RIGHT)  # neither has the focus: the keys go to neither
    assert [c.text for c in counters] == ["step 0 of 3", "step 0 of 10"]
    roots[1].find_element(By.CSS_SELECTOR, ".next").click()
    press(browser, Keys.ARROW_RIGHT)  # the second has the focus now
    assert [c.text for c in counters] == ["step 0 of 3", "step 2 of 10"]
    assert problems(browser) == []


def test_a_tensor_graph_and_a_folded_graph_run_without_errors(browser, tmp_path):
    x = ag.Value(np.linspace(-1, 1, 6).reshape(2, 3), name="x")
    w = ag.Value(np.ones((3, 4)), name="w")
    loss = ag.mse_loss((x @ w).tanh(), np.zeros((2, 4)))
    open_page(browser, ag.step_through(loss).save(tmp_path / "tensor.html"))
    press(browser, Keys.ARROW_RIGHT, 2)
    assert "(2, 4) float64" in browser.find_element(By.CSS_SELECTOR, ".panel").text
    y = x.sum()
    for _ in range(120):
        y = y.tanh()
    open_page(browser, ag.step_through(y, max_nodes=30).save(tmp_path / "folded.html"))
    press(browser, Keys.ARROW_RIGHT, 121)
    assert counter(browser) == "step 121 of 121"
    assert problems(browser) == []
