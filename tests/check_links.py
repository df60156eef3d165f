#!/usr/bin/env python3
"""Checks that every relative link in every tracked Markdown file resolves.

    check_links.py SOURCE_ROOT

For each *.md file tracked by git (every *.md under SOURCE_ROOT when it is not a git checkout),
every inline link or image `[text](target)` and reference definition `[label]: target` outside
code blocks and code spans is checked: a relative target must name a tracked file or a folder
holding tracked files, and a `#anchor` (alone, or after a .md target) must be a heading of that
page as GitHub names it (lower case, punctuation dropped, spaces to hyphens, -1, -2... for
repeats) or an explicit `<a name="...">` / `id="..."`. Absolute URLs (http:, https:, mailto:)
are not fetched. Prints every broken link as FILE:LINE: message and exits 1 if there is one.
"""
import os
import re
import subprocess
import sys


def tracked_files(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True,
                             capture_output=True).stdout.decode()
        files = [f for f in out.split("\0") if f]
        if files:
            return set(files)
    except (OSError, subprocess.CalledProcessError):
        pass
    found = set()
    for d, dirs, names in os.walk(root):
        dirs[:] = [x for x in dirs if not x.startswith((".", "build"))]
        for n in names:
            found.add(os.path.relpath(os.path.join(d, n), root))
    return found


FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFDEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
EXPLICIT = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"|\sid=\"([^\"]+)\"")


def prose_lines(text):
    """(line number, line) outside fenced code blocks, with code spans blanked."""
    fenced = False
    for n, line in enumerate(text.split("\n"), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield n, CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)


def slug(heading):
    s = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    s = re.sub(r"<[^>]+>", "", s).strip().lower()
    s = "".join(c for c in s if c.isalnum() or c in " -_")
    return s.replace(" ", "-")


def anchors(path, cache={}):
    if path not in cache:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        seen, names = {}, set()
        fenced = False
        for line in text.split("\n"):
            if FENCE.match(line):
                fenced = not fenced
                continue
            if fenced:
                continue
            m = HEADING.match(line)
            if m:
                base = slug(m.group(2))
                k = seen.get(base, 0)
                seen[base] = k + 1
                names.add(base if k == 0 else f"{base}-{k}")
            for e in EXPLICIT.finditer(line):
                names.add(e.group(1) or e.group(2))
        cache[path] = names
    return cache[path]


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    files = tracked_files(root)
    dirs = set()
    for f in files:
        d = os.path.dirname(f)
        while d and d not in dirs:
            dirs.add(d)
            d = os.path.dirname(d)
    pages = sorted(f for f in files if f.endswith(".md"))
    broken = checked = 0
    for page in pages:
        full = os.path.join(root, page)
        if not os.path.exists(full):
            continue
        with open(full, encoding="utf-8") as f:
            text = f.read()
        for n, line in prose_lines(text):
            targets = [m.group(1) for m in INLINE.finditer(line)]
            m = REFDEF.match(line)
            if m:
                targets.append(m.group(1))
            for t in targets:
                if not t or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", t):
                    continue  # an absolute URL (http:, https:, mailto:)
                checked += 1
                path, _, anchor = t.partition("#")
                if path:
                    rel = os.path.normpath(os.path.join(os.path.dirname(page), path))
                    if rel.startswith(".."):
                        msg = f"{t}: leaves the repository"
                    elif rel not in files and rel not in dirs and rel != ".":
                        msg = f"{t}: no tracked file or folder {rel}"
                    else:
                        msg = None
                else:
                    rel, msg = page, None
                if msg is None and anchor and rel.endswith(".md"):
                    if anchor not in anchors(os.path.join(root, rel)):
                        msg = f"{t}: no heading #{anchor} in {rel}"
                if msg:
                    print(f"{page}:{n}: {msg}")
                    broken += 1
    print(f"{len(pages)} Markdown files, {checked} relative links, {broken} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
