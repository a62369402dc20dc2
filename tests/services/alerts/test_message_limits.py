"""The limits an alert's text is cut to, at their exact bounds: a cut is marked, stays within the limit and uses
all of it, keeps the head of a message and the innermost frames of a traceback; and what is dropped from any
text (an external program's environment)."""

from __future__ import annotations

from luigi.contrib.external_program import ExternalProgramRunError
from luigi.event import Event

from services.alerts.messages import (
    TRACEBACK_CHARS,
    TRACEBACK_LINES,
    _first_line,
    _message_start,
    _traceback_excerpt,
    _truncate,
    failure_payload,
)
from tests.services.alerts.test_message_parts import FRAMES, AlertsWithout

HEADER = "Traceback (most recent call last):"


def test_text_at_its_limit_is_whole_and_longer_text_is_cut_to_it_with_a_mark() -> None:
    assert _truncate("abcdef", 6) == "abcdef"
    assert _truncate("abcdefg", 6) == "abcde…"
    assert _truncate("abcdefg", 6, keep_end=True) == "…cdefg"


def test_long_frames_are_cut_from_the_outermost_end_to_fill_the_room_exactly() -> None:
    frames = [f'  File "m{i}.py", line {i}, in f{i}\n    call{i}({"x" * 1_500})' for i in range(10)]
    head = "ValueError: bad row"
    excerpt = _traceback_excerpt(f"{HEADER}\n" + "\n".join(frames) + f"\n{head}\n")
    assert len(excerpt) == TRACEBACK_CHARS
    assert excerpt.startswith("…") and excerpt.endswith(f"\n{head}")
    kept = excerpt.removeprefix("…").removesuffix(f"\n{head}")
    assert "\n".join(frames).endswith(kept)  # the innermost frames, uncut at the inner end
    assert frames[-1] in kept


def test_a_long_message_is_cut_at_its_end_and_short_frames_are_kept_whole() -> None:
    frames = f'{HEADER}\n  File "load.py", line 9, in run\n    raise ValueError(rows)'
    excerpt = _traceback_excerpt(f"{frames}\nValueError: {'r' * 9_000}\n")
    assert len(excerpt) == TRACEBACK_CHARS
    assert excerpt.startswith(f"{frames}\nValueError: rrr") and excerpt.endswith("r…")


def test_a_message_that_just_fits_the_line_limit_is_kept_whole() -> None:
    lines = TRACEBACK_LINES - len(FRAMES.splitlines())
    fits = FRAMES + "ValueError: " + "\n".join(f"line {i}" for i in range(lines)) + "\n"
    assert _traceback_excerpt(fits) == fits.rstrip()
    one_more = FRAMES + "ValueError: " + "\n".join(f"line {i}" for i in range(lines + 1)) + "\n"
    assert _traceback_excerpt(one_more).endswith(f"line {lines - 2}\n… (2 more lines)")


def test_blank_lines_after_a_message_are_not_posted() -> None:
    assert _traceback_excerpt(FRAMES + "RuntimeError: dbt failed\n\n\n") == FRAMES + "RuntimeError: dbt failed"


def test_the_message_starts_after_frames_without_a_source_line() -> None:
    # Python prints no source line for code compiled from a string (a template, exec): a frame of one line.
    lines = [HEADER, '  File "<template>", line 3, in top-level template code', "RuntimeError: bad ref", "in model x"]
    assert _message_start(lines) == 2
    assert _traceback_excerpt("\n".join(lines)) == "\n".join(lines)


def test_a_traceback_cut_before_its_message_is_posted_as_it_is() -> None:
    assert _message_start(FRAMES.splitlines()) == len(FRAMES.splitlines())
    assert _traceback_excerpt(FRAMES) == FRAMES


def test_a_first_line_loses_only_its_trailing_colons() -> None:
    assert _first_line("unknown column TAX:\nin model x") == "unknown column TAX"


def test_an_external_programs_environment_wrapped_in_another_message_is_dropped_and_says_so() -> None:
    program = ExternalProgramRunError(
        "Program failed with return code=3:", ["dbt", "run"], env={"BIZOPS_CANARY": "canary-3e1f"}, stderr="boom"
    )
    message = f"dbt step failed: {program}\nwhile building model x"
    payload = failure_payload(AlertsWithout(), Event.FAILURE, "RuntimeError", message)
    text = payload["attachments"][0]["text"]
    assert "STDERR: boom\nENVIRONMENT: [dropped]" in text
    assert "canary-3e1f" not in text
    # Text is cleaned more than once on its way out: the dropped mark never swallows what follows it.
    assert text.endswith("while building model x\n```")
