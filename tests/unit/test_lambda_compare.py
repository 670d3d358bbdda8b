"""The warm comparison of the Lambda handlers reports the median of several processes' runs."""

import json

from bench import lambda_compare


def run(ours_above: float, lean_above: float) -> dict:
    return {
        "digits": {"above_storage_ms": ours_above},
        "lean_reference": {"above_storage_ms": lean_above},
        "reference": {"above_storage_ms": 20.0},
    }


def test_warm_reports_the_run_whose_ratio_is_the_median(monkeypatch):
    runs = iter([run(5.0, 10.0), run(8.0, 12.0), run(4.0, 10.0)])
    jobs = []

    def in_a_process(job, requests):
        jobs.append((json.loads(job.read_text()), requests))
        return next(runs)

    monkeypatch.setattr(lambda_compare, "_warm_in_a_process", in_a_process)
    figures = lambda_compare.measure_warm({"S3": "http://127.0.0.1:1"}, [b"{}", b"[]"], 40)
    assert figures["digits"]["above_storage_ms"] == 5.0  # ratios 2.0, 1.5, 2.5: 2.0 is the median
    assert figures["digits"]["runs_lean_ratio"] == [1.5, 2.0, 2.5]
    assert len(jobs) == lambda_compare.WARM_PROCESSES
    # Every process is given the same environment, payloads and number of requests.
    assert all(
        job == ({"env": {"S3": "http://127.0.0.1:1"}, "payloads": ["{}", "[]"]}, 40) for job in jobs
    )


def test_a_warm_job_is_measured_in_the_process_that_reads_it(tmp_path, monkeypatch, capsys):
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"env": {"A": "1"}, "payloads": ['{"image": 1}']}))
    seen = []

    def here(env, payloads, requests):
        seen.append((env, payloads, requests))
        return run(5.0, 10.0)

    monkeypatch.setattr(lambda_compare, "measure_warm_here", here)
    lambda_compare.main(["--warm-job", str(job), "--requests", "12"])
    assert seen == [({"A": "1"}, [b'{"image": 1}'], 12)]
    # The last line of the output is what the parent process reads.
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == run(5.0, 10.0)
