"""Every provider's download URL serves user bytes the way ``storage.serving`` decides: active
content (HTML, SVG, XHTML) as an octet-stream attachment, inert images inline with their type,
whatever Content-Type the uploader sent. Real S3 (moto) and GCS (fake-gcs-server) servers."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from server.storage.serving import delivery_for

HTML = b"<html><body><script>document.title='pwned'</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.mark.parametrize(
    "name, kind, disposition",
    [
        ("media/plot.html", "application/octet-stream", 'attachment; filename="plot.html"'),
        ("a/b/chart.svg", "application/octet-stream", 'attachment; filename="chart.svg"'),
        ("page.XHTML", "application/octet-stream", 'attachment; filename="page.XHTML"'),
        ("data.xml", "application/octet-stream", 'attachment; filename="data.xml"'),
        ("weights", "application/octet-stream", 'attachment; filename="weights"'),
        ("media/images/x.png", "image/png", 'inline; filename="x.png"'),
        ("logs/output.log", "text/plain; charset=utf-8", 'inline; filename="output.log"'),
    ],
)
def test_one_policy_decides_type_and_disposition(name, kind, disposition):
    delivery = delivery_for(name)
    assert (delivery.content_type, delivery.disposition) == (kind, disposition)
    assert delivery.headers()["X-Content-Type-Options"] == "nosniff"
    assert delivery.headers()["Content-Security-Policy"] == "sandbox"


def test_a_file_name_with_quotes_and_unicode_cannot_break_the_header():
    disposition = delivery_for('x/"a";b\r\nü.html').disposition
    assert disposition.startswith('attachment; filename="_a__b__')
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition.endswith("filename*=UTF-8''%22a%22%3Bb%0D%0A%C3%BC.html")


def _put_and_sign(provider, bucket, team_slug, key, data, sent_type, filename=None):
    provider.ensure_team_bucket(bucket, team_slug=team_slug)
    upload = provider.presign_put(bucket, key, 60, content_length=len(data))
    headers = {**upload.headers, "Content-Type": sent_type}
    assert requests.put(upload.url, data=data, headers=headers, timeout=10).status_code < 300
    url = provider.presign_get(bucket, key, 60, filename=filename)
    got = requests.get(url, timeout=10)
    assert got.status_code == 200 and got.content == data
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


# Real S3 and GCS apply these signed overrides to the response; moto and fake-gcs-server
# ignore them, so here the signed URL itself is checked (the overrides are signed query
# parameters: a holder of the URL cannot drop or change them).
@pytest.mark.parametrize("which", ["s3", "gcs"])
def test_bucket_urls_serve_active_content_as_attachments(request, which, bucket, team_slug):
    provider = request.getfixturevalue(which)
    for key, data in (("runs/1/media/plot.html", HTML), ("runs/1/chart.svg", SVG)):
        query = _put_and_sign(provider, bucket, team_slug, key, data, "text/html")
        assert query["response-content-type"] == "application/octet-stream", key
        assert query["response-content-disposition"].startswith("attachment;"), key
        assert any(name.lower().endswith("signature") for name in query)


@pytest.mark.parametrize("which", ["s3", "gcs"])
def test_bucket_urls_name_the_file_and_show_images_inline(request, which, bucket, team_slug):
    provider = request.getfixturevalue(which)
    query = _put_and_sign(
        provider, bucket, team_slug, "artifacts/sha256/ab", PNG, "text/html", filename="x/p.png"
    )
    assert query["response-content-type"] == "image/png"
    assert query["response-content-disposition"] == 'inline; filename="p.png"'
