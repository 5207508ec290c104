"""The files of a Docker build context, as the builder sees them after ``.dockerignore``.

Follows the builder's rules (moby/patternmatcher): patterns are cleaned, a leading ``/`` is
dropped, ``*`` and ``?`` stay within one path segment, ``**`` spans segments, a pattern that
matches a directory excludes what is under it, ``!`` re-includes, and the last match wins.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# The builder always receives these, whatever .dockerignore says.
ALWAYS_SENT = ("Dockerfile", ".dockerignore")


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    exclusion: bool  # a "!pattern" line: re-include what matches


def _translate(pattern: str) -> str:
    """A .dockerignore glob as an anchored regular expression."""
    out = ["^"]
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                # "**" at the end matches everything; elsewhere any number of segments.
                out.append(".*" if i >= n else "(.*/)?")
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        elif ch == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("$")
    return "".join(out)


def parse(text: str) -> list[Pattern]:
    patterns: list[Pattern] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        if exclusion:
            line = line[1:].strip()
        line = posixpath.normpath(line.replace(os.sep, "/"))
        if len(line) > 1 and line.startswith("/"):
            line = line.lstrip("/")
        patterns.append(Pattern(re.compile(_translate(line)), exclusion))
    return patterns


def _matches_or_parent_matches(pattern: Pattern, path: str) -> bool:
    if pattern.regex.match(path):
        return True
    parts = path.split("/")[:-1]
    return any(pattern.regex.match("/".join(parts[: k + 1])) for k in range(len(parts)))


def is_excluded(patterns: list[Pattern], path: str) -> bool:
    """Whether ``path`` (relative, with ``/``) is left out of the context."""
    excluded = False
    for pattern in patterns:
        if _matches_or_parent_matches(pattern, path):
            excluded = not pattern.exclusion
    return excluded


def context_files(context_dir: Path) -> Iterator[str]:
    """The relative paths (``/``-separated, sorted) of the files sent to the builder."""
    ignore_file = context_dir / ".dockerignore"
    patterns = parse(ignore_file.read_text()) if ignore_file.is_file() else []
    # With no "!" lines an excluded directory can be skipped whole (a .venv is large).
    can_prune = not any(p.exclusion for p in patterns)
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(context_dir):
        rel_dir = Path(dirpath).relative_to(context_dir).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        if can_prune:
            dirnames[:] = [d for d in dirnames if not is_excluded(patterns, prefix + d)]
        # os.walk does not follow a symlink to a directory; the builder sends it as a link.
        linked_dirs = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
        for name in filenames + linked_dirs:
            rel = prefix + name
            if rel in ALWAYS_SENT or not is_excluded(patterns, rel):
                found.append(rel)
    yield from sorted(found)
