"""The progress model and reporter, fed with real terraform ``-json`` event lines.

The fixtures in ``fixtures/terraform_events/`` were captured from real runs: the inventory stack
applied, updated (low_stock_threshold) and destroyed on the local cloud, and
``failing-apply.tf.txt`` (a resource whose provisioner fails) applied with terraform 1.11.
Time in these tests is the events' own ``@timestamp``, so they run in milliseconds.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from orchestrator.apply_progress import RunProgress, brief_plan
from orchestrator.cli import build_parser
from orchestrator.run_reporter import TerraformReporter
from orchestrator.terraform import PlanSummary, _event_line

EVENTS = Path(__file__).parent / "fixtures" / "terraform_events"


def events(name: str) -> Iterator[tuple[dict[str, Any], float]]:
    """Each event of a capture with its time in seconds."""
    for line in (EVENTS / name).read_text().splitlines():
        event = json.loads(line)
        yield event, datetime.fromisoformat(event["@timestamp"]).timestamp()


def replay(name: str, verb: str, **options: Any) -> tuple[RunProgress, list[str], float]:
    """Feed a whole capture; the progress, the lines it kept, and the last event's time."""
    captured = list(events(name))
    progress = RunProgress(verb, captured[0][1], **options)
    kept = [line for event, now in captured if (line := progress.feed(event, now))]
    return progress, kept, captured[-1][1]


def test_a_first_apply_counts_every_planned_resource_done() -> None:
    # GIVEN the events of the inventory's first apply (73 creates)
    # WHEN they are all fed
    progress, kept, end = replay("inventory-first-apply.jsonl", "applying")

    # THEN every planned resource is done, none is in flight, and the summary says so
    assert progress.total == 73
    assert len(progress.done) == 73 and not progress.in_flight and not progress.failures
    summary = progress.summary(end)
    assert summary.startswith("Apply complete in 1 min 46 s: ")  # 06:27:11 -> 06:28:57
    assert "73 added, 0 changed, 0 destroyed" in summary
    assert kept == []  # nothing failed, nothing took 30 s


def test_the_progress_line_names_the_resources_in_flight_with_their_time() -> None:
    # GIVEN the first apply, fed up to the moment its slowest function is 20 s in
    progress = None
    for event, now in events("inventory-first-apply.jsonl"):
        progress = progress or RunProgress("applying", now)
        progress.feed(event, now)
        if 'notify_low_stock"]: Still creating... [20s' in event["@message"]:
            break
    assert progress is not None

    # THEN the line says how many are done of the total, and which still run, the longest first
    line = progress.status_line(now)
    done = len(progress.done)
    assert 0 < done < 73
    assert line.startswith(f"applying: {done}/73 done, ")
    in_flight = line.split("; ", 1)[1]
    assert in_flight.startswith('aws_lambda_function.this["')
    assert 'aws_lambda_function.this["notify_low_stock"] 20 s' in in_flight
    assert "module.inventory." not in line  # the same prefix on every resource: left out


def test_slow_resources_get_a_line_of_their_own() -> None:
    # GIVEN a threshold the inventory's functions exceed (the real one is 30 s)
    progress, kept, end = replay("inventory-first-apply.jsonl", "applying", slow_seconds=20)

    # THEN each slow one is kept with its time, and the summary names the slowest
    assert 'aws_lambda_function.this["notify_low_stock"]: created in 25 s' in "\n".join(kept)
    assert all(": created in 2" in line for line in kept) and len(kept) >= 3
    assert "slowest aws_sqs_queue.load_dlq (26 s)" in progress.summary(end)  # moto's SQS wait


def test_an_update_counts_changes() -> None:
    progress, _, end = replay("inventory-update-apply.jsonl", "applying")
    assert (progress.total, len(progress.done)) == (6, 6)
    assert "0 added, 6 changed, 0 destroyed" in progress.summary(end)


def test_a_destroy_does_not_count_the_data_source_it_reads() -> None:
    # GIVEN a destroy, which reads aws_caller_identity (an apply_start that the plan did not list)
    progress, _, end = replay("inventory-destroy.jsonl", "destroying")

    # THEN the total is the 73 resources destroyed, as terraform says
    assert (progress.total, len(progress.done)) == (73, 73)
    assert progress.summary(end).startswith("Destroy complete in ")
    assert progress.summary(end).endswith(": 73 destroyed.")


def test_a_failed_resource_is_named_with_how_far_the_apply_got() -> None:
    # GIVEN an apply where one resource's creation errors after 3 s and one depends on it
    progress, kept, end = replay("apply-failed.jsonl", "applying")

    # THEN the failure is kept as a line, and the summary says 1 of 3 done and which failed
    assert kept == ["  FAILED terraform_data.broken (create, after 3 s)"]
    assert progress.changes is None
    failed = progress.failed_summary(end)
    assert failed.startswith("Apply failed after 3 s: 1 of 3 done")
    assert failed.endswith("; failed: terraform_data.broken")


def test_plain_output_is_short_and_the_log_has_every_event(tmp_path: Path) -> None:
    # GIVEN a reporter writing to a pipe (not a terminal), on the events' clock
    clock = [0.0]
    out = io.StringIO()
    lines: list[str] = []
    log = tmp_path / "logs" / "deploy.log"
    reporter = TerraformReporter(log, lines.append, stream=out, clock=lambda: clock[0])

    # WHEN the inventory's first apply is replayed through it
    captured = list(events("inventory-first-apply.jsonl"))
    clock[0] = captured[0][1]
    reporter.run_started(["terraform", "apply", "-json", "plan"], events=True)
    for event, now in captured:
        clock[0] = now
        reporter.run_event(event, _event_line(event))
    reporter.run_finished(0, failed=False, diagnostics="")

    # THEN nothing is redrawn, a progress line comes at most every 10 s, then the summary
    assert out.getvalue() == ""
    assert lines[0] == f"terraform log: {log}"
    progress_lines = [line for line in lines if line.startswith("applying: ")]
    assert 5 <= len(progress_lines) <= 11  # 106 s of events
    assert lines[-1].startswith("Apply complete in 1 min 4")
    assert len(lines) == 1 + len(progress_lines) + 1

    # AND the log holds every resource's completion line, as terraform wrote it
    text = log.read_text()
    assert "$ terraform apply -json plan" in text
    for event, _ in captured:
        if event["type"] == "apply_complete":
            assert event["@message"] in text
    assert text.count("Creation complete after") == 73


def test_a_failure_prints_the_log_path(tmp_path: Path) -> None:
    lines: list[str] = []
    log = tmp_path / "apply.log"
    reporter = TerraformReporter(log, lines.append, stream=io.StringIO())
    reporter.run_started(["terraform", "apply", "-json", "plan"], events=True)
    for event, _ in events("apply-failed.jsonl"):
        reporter.run_event(event, _event_line(event))
    reporter.run_finished(1, failed=True, diagnostics="Error: local-exec provisioner error")

    assert "  FAILED terraform_data.broken (create, after 3 s)" in lines
    assert lines[-1].startswith("Apply failed after ")
    assert lines[-1].endswith(f"; failed: terraform_data.broken (full log: {log})")
    text = log.read_text()
    assert "Error: local-exec provisioner error" in text and "exit code 1" in text
    assert "bucket already exists" in text  # the provisioner's own output
    assert "exit status 1. Output: bucket already exists" in text  # the diagnostic's detail


def test_verbose_prints_no_progress_line_but_the_summary(tmp_path: Path) -> None:
    lines: list[str] = []
    reporter = TerraformReporter(
        tmp_path / "x.log", lines.append, verbose=True, stream=io.StringIO(), interval=0
    )
    reporter.run_started(["terraform", "apply", "-json", "plan"], events=True)
    for event, _ in events("inventory-update-apply.jsonl"):
        reporter.run_event(event, _event_line(event))
    reporter.run_finished(0, failed=False, diagnostics="")
    assert not any(line.startswith("applying:") for line in lines)
    assert "0 added, 6 changed, 0 destroyed" in lines[-1]


def test_a_big_plan_is_summed_up_and_small_changes_listed() -> None:
    first = PlanSummary(adds=[f"aws_s3_object.o[{i}]" for i in range(73)])
    assert brief_plan(first).splitlines() == [
        "Plan: 73 to add, 0 to change, 0 to destroy.",
        "  + 73 to add (listed in the terraform log)",
    ]
    update = PlanSummary(
        adds=[f"aws_s3_object.o[{i}]" for i in range(20)],
        changes=["aws_lambda_function.a"],
        destroys=["aws_sqs_queue.q"],
    )
    assert brief_plan(update).splitlines() == [
        "Plan: 20 to add, 1 to change, 1 to destroy.",
        "  - aws_sqs_queue.q  (destroy)",
        "  ~ aws_lambda_function.a  (change)",
        "  + 20 to add (listed in the terraform log)",
    ]
    small = PlanSummary(adds=["a.b"], changes=["c.d"])
    assert brief_plan(small) == small.render()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_line_is_redrawn_in_place(tmp_path: Path) -> None:
    # GIVEN a reporter on a terminal, on the events' clock
    clock = [0.0]
    screen = Terminal()
    lines: list[str] = []
    reporter = TerraformReporter(
        tmp_path / "x.log", lines.append, stream=screen, clock=lambda: clock[0]
    )

    # WHEN a destroy (hundreds of events within seconds) is replayed
    captured = list(events("inventory-destroy.jsonl"))
    clock[0] = captured[0][1]
    reporter.run_started(["terraform", "destroy", "-json"], events=True)
    for event, now in captured:
        clock[0] = now
        reporter.run_event(event, _event_line(event))
    reporter.run_finished(0, failed=False, diagnostics="")

    # THEN the progress is drawn over itself, a few times a second at most, and cleared at the
    # end; only the log path and the summary stay as lines
    drawn = screen.getvalue()
    assert "\r\x1b[Kdestroying: " in drawn and "\n" not in drawn
    draws = drawn.count("\r\x1b[Kdestroying")
    seconds = captured[-1][1] - captured[0][1]
    assert 3 <= draws <= seconds / 0.2 + 2
    assert drawn.endswith("\r\x1b[K")
    assert len(lines) == 2 and lines[1].endswith(": 73 destroyed.")


def test_the_log_path_is_printed_short_below_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    lines: list[str] = []
    log = tmp_path / ".orchestrate" / "logs" / "local" / "dev" / "inventory" / "a-deploy.log"
    reporter = TerraformReporter(log, lines.append, stream=io.StringIO())
    reporter.run_started(["terraform", "plan", "-json"], events=True)
    reporter.run_finished(2, failed=False, diagnostics="")
    assert lines == ["terraform log: .orchestrate/logs/local/dev/inventory/a-deploy.log"]
    assert "$ terraform plan -json" in log.read_text()


@pytest.mark.parametrize("argv", [["deploy", "inventory"], ["destroy"], ["plan", "todo"], ["demo"]])
def test_verbose_is_an_option_of_every_command_that_applies(argv: list[str]) -> None:
    assert build_parser().parse_args([*argv, "--verbose"]).verbose is True
    assert build_parser().parse_args(argv).verbose is False
