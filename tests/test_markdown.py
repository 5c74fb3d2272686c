"""Markdown users write: unsafe links are never links, and images from other hosts are not
fetched by viewers' browsers unless the system setting ``markdown_remote_images`` allows it."""

import re

from server.markdown import render_markdown
from server.services import system_settings


def test_a_javascript_markdown_link_is_plain_text_not_raw_source(app):
    html = str(render_markdown("[click me](javascript:alert(1)) and [docs](https://docs.test)"))
    assert "javascript" not in html and "](" not in html
    assert "click me" in html
    assert '<a href="https://docs.test"' in html


def test_a_raw_html_javascript_link_is_not_a_fake_link(app):
    for source in (
        "<a href=javascript:alert(1)>click</a>",
        '<a href="JaVaScRiPt:alert(1)" title="t">click</a>',
        "<a href='data:text/html,x'>click</a>",
    ):
        html = str(render_markdown(source))
        assert "<a" not in html and "click" in html, html


def test_remote_images_are_links_by_default_and_local_ones_stay(app):
    html = str(render_markdown("![chart](https://tracker.example/p.png) ![loss](/files/loss.png)"))
    assert re.search(r"<img[^>]*tracker\.example", html) is None
    assert '<a href="https://tracker.example/p.png"' in html and "Image: chart" in html
    assert '<img src="/files/loss.png" alt="loss">' in html
    # Protocol-relative URLs are remote too; this server's own host is not.
    assert "<img" not in str(render_markdown("![x](//tracker.example/p.png)"))
    own = app.config["OUTPOST"].url
    assert "<img" in str(render_markdown(f"![x]({own}/files/a.png)"))


def test_an_admin_may_allow_remote_images(app):
    system_settings.update_settings({"markdown_remote_images": True})
    html = str(render_markdown("![chart](https://tracker.example/p.png)"))
    assert '<img src="https://tracker.example/p.png" alt="chart">' in html


def test_an_image_inside_a_link_is_named_without_nesting_links(app):
    html = str(render_markdown("[![Follow](https://badges.example/b.svg)](https://lab.test)"))
    assert html.count("<a ") == 1 and "Image: Follow" in html and "<img" not in html


def test_origins_the_operator_trusts_for_images_are_shown(make_app):
    app = make_app(csp_image_sources=["https://img.shields.io"])
    with app.app_context():
        html = str(
            render_markdown("![b](https://img.shields.io/badge/x) ![t](https://t.example/p)")
        )
    assert '<img src="https://img.shields.io/badge/x" alt="b">' in html
    assert "<img" not in html.split("badge/x")[1]
