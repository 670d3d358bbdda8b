"""The Lambda comparison in the benchmark report: targets against the lean reference, and rows."""

from bench import report


def lambda_figures(ours_cold: float, lean_cold: float, ours_above: float, lean_above: float):
    def side(cold: float, above: float) -> dict:
        return {
            "cold_start_lambda_s": cold,
            "warm": {
                "handler_p50_ms": above + 8.0,
                "storage_p50_ms": 8.0,
                "above_storage_ms": above,
            },
        }

    return {
        "digits": side(ours_cold, ours_above),
        "lean_reference": side(lean_cold, lean_above),
        "reference": side(2.4, 23.0),
    }


def test_lambda_targets_need_3_5x_cold_and_2x_warm_against_the_lean_reference():
    met = report.lambda_targets(lambda_figures(0.3, 1.2, 6.0, 12.0))
    assert all(target["met"] for target in met.values())
    missed = report.lambda_targets(lambda_figures(0.35, 1.2, 6.1, 12.0))
    assert not any(target["met"] for target in missed.values())


def test_lambda_rows_name_both_references():
    lam = lambda_figures(0.3, 1.2, 6.0, 12.0)
    targets = report.lambda_targets(lam)

    def verdict(key: str) -> str:
        return "met" if targets[key]["met"] else "missed"

    rows = report.lambda_rows(lam, verdict)
    assert len(rows) == 3
    assert rows[0][1:4] == ("0.30 s", "1.20 s", "4.0x")
    assert "lean reference" in rows[1][0]
    assert "served reference" in rows[2][0]
    assert rows[2][3] == "3.8x"


def test_lambda_rows_say_which_of_several_runs_they_show():
    lam = lambda_figures(0.3, 1.2, 6.0, 12.0)
    lam["digits"]["warm"]["runs_lean_ratio"] = [1.9, 2.0, 2.2]
    rows = report.lambda_rows(lam, lambda key: "met")
    assert "median of 3 processes' runs by this ratio (1.90x, 2.00x, 2.20x)" in rows[1][0]
    assert "the same run of 3" in rows[2][0]
