"""The journeys' checker itself: it passes a page that is fine, and catches each fault it is
there to catch (so a journey that passes means something)."""

from __future__ import annotations

import pytest


def test_the_public_pages_pass_every_check_in_vietnamese_and_khmer(visit):
    for language in ("vi", "km"):
        for viewport in ("phone", "desktop"):
            page = visit(viewport=viewport, language=language)
            page.goto("/")
            page.check("home")
            page.goto("/sign-in")
            page.check("sign-in")


def test_the_checker_catches_overflow_and_unlabelled_controls(visit):
    page = visit(viewport="phone")
    page.goto("/sign-in")
    page.page.evaluate("""() => {
        const wide = document.createElement('div'); wide.style.width = '2000px';
        wide.textContent = 'wide'; document.body.appendChild(wide); }""")
    with pytest.raises(AssertionError, match="wider than the screen"):
        page.check("too wide", axe=False)
    page.goto("/sign-in")
    page.page.evaluate("""() => {
        const input = document.createElement('input'); input.type = 'text';
        document.querySelector('main, body').appendChild(input); }""")
    with pytest.raises(AssertionError, match="axe-core"):
        page.check("unlabelled input")


def test_the_checker_catches_requests_to_elsewhere_and_errors(visit):
    page = visit(viewport="desktop")
    page.goto("/sign-in")
    page.page.evaluate("() => fetch('https://cdn.example.org/x.js').catch(() => null)")
    page.page.wait_for_timeout(200)
    with pytest.raises(AssertionError, match="outside"):
        page.clean()
