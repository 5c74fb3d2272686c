"""The SVG chart helpers: scales, formats, and escaping of every label."""

from datetime import date, timedelta

from server import charts


def test_ticks_are_round_and_cover_the_peak():
    assert charts.nice_ticks(0) == [0, 1]
    assert charts.nice_ticks(3) == [0, 1, 2, 3]
    assert charts.nice_ticks(17) == [0, 5, 10, 15, 20]
    assert charts.nice_ticks(930)[-1] == 1000


def test_bytes_read_like_a_person_would_write_them():
    assert charts.human_bytes(None) == "not measured"
    assert charts.human_bytes(512) == "512 B"
    assert charts.human_bytes(48 << 30) == "48.0 GiB"
    assert charts.human_bytes(3 << 50) == "3,072.0 TiB"


def test_every_text_in_a_bar_list_is_escaped():
    svg = charts.bar_list(
        [charts.BarItem('<b onclick="x">', 3, "tip <script>", "3 & more")],
        title="Top <i>",
        testid='t"x',
        empty="none",
    )
    assert "<b onclick" not in svg and "<script>" not in svg and "<i>" not in svg
    assert 'data-label="&lt;b onclick=&#34;x&#34;&gt;"' in svg
    assert "<title>tip &lt;script&gt;</title>" in svg
    assert "3 &amp; more" in svg
    assert 'data-testid="t&#34;x"' in svg


def test_an_empty_chart_says_so():
    assert "No one yet" in charts.bar_list([], title="T", testid="t", empty="No one yet")
    days = [(date(2026, 1, 1) + timedelta(days=n), 0) for n in range(5)]
    assert "Quiet" in charts.column_chart(days, title="T", noun="runs", testid="c", empty="Quiet")
    assert "Quiet" in charts.line_chart([], title="T", noun="users", testid="l", empty="Quiet")


def test_the_seat_meter_warns_near_and_over_the_limit():
    assert 'data-level="ok"' in charts.meter(10, 50, title="Seats", testid="s")
    assert 'data-level="warn"' in charts.meter(41, 50, title="Seats", testid="s")
    over = charts.meter(52, 50, title="Seats", testid="s")
    assert 'data-level="danger"' in over and "52 of 50 seats used (104%)" in over
    assert "no seat limit" in charts.meter(1, None, title="Seats", testid="s")


def test_weeks_sum_or_average_the_days():
    days = [(date(2026, 1, 1) + timedelta(days=n), n) for n in range(10)]
    assert charts.weekly(days, mean=False) == [(date(2026, 1, 1), 21), (date(2026, 1, 8), 24)]
    assert charts.weekly(days, mean=True) == [(date(2026, 1, 1), 3.0), (date(2026, 1, 8), 8.0)]
