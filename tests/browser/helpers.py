"""Helpers of the browser tests: where Debian's chromium is, and the one reason a browser test skips."""

from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"


def skip_without_chromium() -> None:
    """Called at the top of each browser test module: without chromium there is nothing to drive."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"{CHROMIUM} is missing (apt-get install chromium); CI installs it", allow_module_level=True
        )


# What the accessibility smoke check looks at on a rendered page (WCAG's most common failures):
# the document language, one h1 and no skipped heading level, a name for every form control, button
# and link, alt text on images, and a contrast of at least 4.5:1 for text in the zone and time-node
# colours (red/yellow/blue zones, the countdown's nodes, the state tags), against the colour the text
# actually sits on.
AUDIT = r"""
() => {
  const problems = [];
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  if (!document.documentElement.lang) problems.push("<html> has no lang");
  if (!document.title.trim()) problems.push("no <title>");
  const h1 = [...document.querySelectorAll("h1")].filter(visible);
  if (h1.length !== 1) problems.push(`${h1.length} visible h1`);
  let last = 0;
  for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    const level = Number(h.tagName[1]);
    if (last && level > last + 1) problems.push(`heading jumps from h${last} to h${level}: ${h.textContent.trim()}`);
    last = level;
  }
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (["hidden", "submit", "button", "reset"].includes(el.type)) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute("aria-label") ||
      el.getAttribute("aria-labelledby") || el.getAttribute("title");
    if (!named) problems.push(`form control without a label: <${el.tagName.toLowerCase()} name="${el.name}">`);
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (!visible(el)) continue;
    const named = el.textContent.trim() || el.getAttribute("aria-label") || el.getAttribute("title") ||
      el.querySelector("img[alt]:not([alt=''])");
    if (!named) problems.push(`<${el.tagName.toLowerCase()}> without a name: ${el.outerHTML.slice(0, 80)}`);
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push(`image without alt: ${img.src}`);
  }
  const rgb = value => {
    const m = value.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const parts = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
  };
  const background = el => {
    for (let node = el; node; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c && c.a > 0) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const luminance = c => {
    const channel = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  };
  const contrast = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  let checked = 0;
  const coloured = document.querySelectorAll('[class*="zone-"], [class*="node-"], .tag');
  for (const el of coloured) {
    if (!visible(el) || !el.textContent.trim()) continue;
    const colour = rgb(getComputedStyle(el).color);
    if (!colour) { problems.push(`unreadable text colour ${getComputedStyle(el).color} (${el.className})`); continue; }
    const ratio = contrast(colour, background(el));
    checked += 1;
    if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)} < 4.5 for "${el.textContent.trim().slice(0, 20)}" (${el.className})`);
  }
  return { problems, coloured_checked: checked };
}
"""


def audit(page) -> dict:
    """The accessibility smoke check of the page as it is now rendered."""
    return page.evaluate(AUDIT)
