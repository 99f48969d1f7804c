"""Small Playwright moves on Streamlit widgets that the browser tests share."""

from __future__ import annotations

from playwright.sync_api import TimeoutError as PlaywrightTimeout


def set_number(page, label: str, value: int, wait_until_idle, timeout_ms: int = 60_000) -> None:
    """Type ``value`` into the number input ``label`` and wait for the rerun it starts."""
    field = page.get_by_role("spinbutton", name=label, exact=True)
    field.fill(str(value))
    field.press("Enter")
    wait_until_idle(page, timeout_ms=timeout_ms)


def choose(
    page, label: str, option, wait_until_idle, exact: bool = False, tries: int = 4, timeout_ms: int = 60_000
) -> None:
    """Pick ``option`` (text or pattern) in the select box ``label``.

    A rerun that lands while the list is open redraws it, and the option under the pointer leaves the page:
    then the list is opened again (a few times at most).
    """
    wait_until_idle(page, timeout_ms=timeout_ms)
    for attempt in range(tries):
        page.get_by_label(label, exact=True).click()
        try:
            page.get_by_role("option", name=option, exact=exact).first.click(timeout=15_000)
            break
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise
            page.keyboard.press("Escape")
            wait_until_idle(page, timeout_ms=timeout_ms)
    wait_until_idle(page, timeout_ms=timeout_ms)
