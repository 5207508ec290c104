"""Every option of every command says what it does in --help (a walk over the real parser, so
options added later are held to it too)."""

from __future__ import annotations

import argparse

from orchestrator.cli import build_parser


def options_without_help(parser: argparse.ArgumentParser, command: str) -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                missing += options_without_help(sub, f"{command} {name}")
        elif action.option_strings and not isinstance(action, argparse._HelpAction):
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{command} {'/'.join(action.option_strings)}")
    return missing


def test_every_option_has_help_text() -> None:
    assert options_without_help(build_parser(), "orchestrate.py") == []


def test_the_walk_finds_an_option_without_help() -> None:
    # GIVEN a parser with one undocumented option under a command
    parser = argparse.ArgumentParser(prog="p")
    sub = parser.add_subparsers().add_parser("run")
    sub.add_argument("--documented", help="says what it does")
    sub.add_argument("--bare")

    # THEN the walk names it, and only it
    assert options_without_help(parser, "p") == ["p run --bare"]


def test_load_timeout_says_its_unit() -> None:
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    (timeout,) = [a for a in commands.choices["load"]._actions if "--timeout" in a.option_strings]
    assert "seconds" in str(timeout.help)
