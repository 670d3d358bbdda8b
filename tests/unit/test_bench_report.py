"""The benchmark report: targets judged from the figures, README rewritten between markers only."""

from bench import report


def figures(cold: float, p50: float, rate: float, rss: float) -> dict:
    return {
        "cold_start_server_s": cold,
        "cold_start_lambda_s": cold,
        "http_warm": {"p50_ms": p50},
        "throughput": {"requests_per_second": rate, "errors": 0},
        "peak_rss_bytes": {"worker": rss},
    }


def test_targets_are_met_only_when_every_condition_holds():
    reference = figures(cold=3.0, p50=40.0, rate=20.0, rss=400e6)
    met = report.targets(figures(cold=0.4, p50=20.0, rate=40.0, rss=120e6), reference)
    assert all(target["met"] for target in met.values())
    # Fast enough against the reference but over the absolute bound, and the other way round.
    slow = report.targets(figures(cold=0.6, p50=20.1, rate=39.0, rss=151e6), reference)
    assert not any(target["met"] for target in slow.values())
    errors = figures(cold=0.4, p50=20.0, rate=40.0, rss=120e6)
    errors["throughput"]["errors"] = 1
    assert not report.targets(errors, reference)["throughput"]["met"]


def test_readme_figures_are_rewritten_between_markers_only(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n## Measured figures\n\n<!-- figures: model, bench -->\n\n## Next\n")
    report.update_readme("first\n", readme)
    report.update_readme("second\n", readme)
    text = readme.read_text()
    assert text.count(report.README_START) == text.count(report.README_END) == 1
    assert "second\n" in text
    assert "first" not in text
    assert text.startswith("# x\n\n## Measured figures\n\n<!-- figures: model, bench -->\n")
    assert text.endswith(f"{report.README_END}\n\n## Next\n")
