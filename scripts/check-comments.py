#!/usr/bin/env python3
"""Lists unsafe code and atomic orderings that lack the comments the project requires.

usage: scripts/check-comments.py PATH...   (files, or directories searched for *.rs)

Exits 1 when it finds a violation, 0 otherwise. Checks, in code (not in doc comments or
string literals):

- every `unsafe { ... }` block has a comment containing `SAFETY:` above it (in the comment
  block directly above its statement) or at the end of its line;
- every `unsafe impl` has a comment containing `SAFETY` directly above it;
- every `unsafe fn` (except methods of trait impls, whose contract is the trait's) has a
  doc comment with a `# Safety` section worded "is sound if and only if:" followed by at
  least one `- ` bullet;
- in library and binary code (files under a `src/` directory), every atomic ordering that
  orders memory (`Acquire`, `Release`, `AcqRel`, `SeqCst`, bare or as `Ordering::X`) has a
  comment line starting with that ordering's name above its statement or at the end of its
  line (`// AcqRel/Acquire: ...` names a compare-exchange's success and failure orderings
  at once). A comment such as `// Acquire (both): ...` or `// Acquire (all loads
  below): ...` also covers the following statements up to the next blank line (at most 16
  lines, within the same item).

`Relaxed` needs no comment: it orders nothing, so the comment would have nothing to say
that the code does not (counters state why `Relaxed` suffices once, on their type). Tests
and benches need no ordering comments.

It is a line-based heuristic, not a parser: it reads comments above the statement that
contains the use, crossing at most a few lines of that statement.
"""

import os
import re
import sys

ORDERINGS = ("Relaxed", "Acquire", "Release", "AcqRel", "SeqCst")
# The orderings that must be explained: those that order memory.
EXPLAINED = ("Acquire", "Release", "AcqRel", "SeqCst")
ORDERING_RE = re.compile(r"(?:\bOrdering::)?\b(" + "|".join(EXPLAINED) + r")\b")
USE_RE = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?use\b")
UNSAFE_BLOCK_RE = re.compile(r"\bunsafe\s*\{")
UNSAFE_IMPL_RE = re.compile(r"^\s*unsafe\s+impl\b")
UNSAFE_FN_RE = re.compile(
    r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?unsafe\s+(?:extern\s+\"[^\"]*\"\s+)?fn\s+\w+"
)
ITEM_RE = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+|unsafe\s+|async\s+)*(?:fn|impl|struct|enum|mod|trait)\b")
COVERING_RE = re.compile(r"^\((?:both|all|each)\b|\bbelow\b")
# How many lines of the same statement may separate a use from its comment block.
MAX_STATEMENT_LINES = 12
# How far up a covering comment (`X (both)`, `X (all ...)`) reaches.
MAX_COVER_LINES = 16
NAMES = "(?:" + "|".join(ORDERINGS) + ")"
# The orderings a comment starts with: `Relaxed: ...`, `AcqRel/Acquire: ...`.
LEADING_NAMES_RE = re.compile(r"^(" + NAMES + r"(?:\s*/\s*" + NAMES + r")*)\b")
CHAR_RE = re.compile(r"'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]{1,6}\}|.)|[^\\'\n])'")
RAW_RE = re.compile(r"(?:b|c)?r(#*)\"")


def lex(text):
    """Splits Rust source into lines of (code, comment).

    `code` is the line with string and char literals emptied and block comments removed, so
    words inside them are never matched; `comment` is the text of a `//` comment on the line
    (from the `//` on), or None. Multi-line strings, raw strings and nested block comments
    are followed across lines.
    """
    code_lines, comments = [], []
    code, comment = [], None
    i, n = 0, len(text)

    def newline():
        nonlocal code, comment
        code_lines.append("".join(code))
        comments.append(comment)
        code, comment = [], None

    while i < n:
        ch = text[i]
        if ch == "\n":
            newline()
            i += 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            comment = text[i:j]
            i = j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    if text[i] == "\n":
                        newline()
                    i += 1
        elif (m := RAW_RE.match(text, i)) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            close = '"' + m.group(1)
            code.append('""')
            i = m.end()
            while i < n and not text.startswith(close, i):
                if text[i] == "\n":
                    newline()
                i += 1
            i += len(close)
        elif ch == '"':
            code.append('""')
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\":
                    i += 1
                if i < n and text[i] == "\n":
                    newline()
                i += 1
            i += 1
        elif ch == "'" and (m := CHAR_RE.match(text, i)):
            code.append("''")
            i = m.end()
        else:
            code.append(ch)
            i += 1
    newline()
    return code_lines, comments


def comment_text(comment):
    """Text of a plain `//` comment (None for doc comments `///`, `//!`)."""
    if comment is None or comment.startswith("///") or comment.startswith("//!"):
        return None
    return comment[2:].strip()


class Source:
    def __init__(self, path):
        self.path = path
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.lines = text.split("\n")
        self.code, self.comment = lex(text)

    def is_blank(self, i):
        return self.code[i].strip() == "" and self.comment[i] is None

    def is_comment_only(self, i):
        return self.code[i].strip() == "" and self.comment[i] is not None

    def comments_above(self, i):
        """Comment lines (text) that document the statement containing line `i`.

        Walks up through the statement's own earlier lines (at most MAX_STATEMENT_LINES),
        collecting every plain comment line met, and stops at the end of the previous
        statement or item, at a blank line, or at the start of a block.
        """
        found = []
        own = comment_text(self.comment[i])
        if own is not None:
            found.append(own)
        j = i - 1
        code_lines = 0
        while j >= 0:
            if self.is_blank(j):
                break
            if self.is_comment_only(j):
                text = comment_text(self.comment[j])
                if text is not None:
                    found.append(text)
                j -= 1
                continue
            code = self.code[j].rstrip()
            if code.endswith((";", "{", "}", "},", "=>")) or code.lstrip().startswith("#["):
                # The previous statement, or the block this one opens: comments above
                # it document something else.
                break
            code_lines += 1
            if code_lines > MAX_STATEMENT_LINES:
                break
            text = comment_text(self.comment[j])
            if text is not None:
                found.append(text)
            j -= 1
        return found

    def covering_comments(self, i):
        """Comments in the lines above `i`, up to a blank line or the start of the item
        (a covering `X (both)` / `X (all ...)` comment is looked for among them)."""
        found = []
        for j in range(i - 1, max(-1, i - 1 - MAX_COVER_LINES), -1):
            if self.is_blank(j) or ITEM_RE.match(self.code[j]):
                break
            text = comment_text(self.comment[j])
            if text is not None:
                found.append(text)
        return found


def leading_names(text):
    """The orderings a comment starts with: `Relaxed: ...` or `AcqRel/Acquire: ...`."""
    m = LEADING_NAMES_RE.match(text)
    if m is None:
        return [], text
    return [n.strip() for n in m.group(1).split("/")], text[m.end():]


def starts_with_name(text, name):
    return name in leading_names(text)[0]


def covers(text, name):
    names, rest = leading_names(text)
    return name in names and COVERING_RE.search(rest.strip()) is not None


def in_src_dir(path):
    """Whether `path` is library or binary code: under a directory named `src`."""
    return "src" in os.path.normpath(path).split(os.sep)[:-1]


def check(src):
    problems = []
    in_use = False
    check_orderings = in_src_dir(src.path)
    for i, code in enumerate(src.code):
        if in_use or USE_RE.match(code):
            in_use = ";" not in code
            continue
        if UNSAFE_BLOCK_RE.search(code):
            if not any("SAFETY:" in t for t in src.comments_above(i)):
                problems.append((i, "unsafe block without a `// SAFETY:` comment"))
        if UNSAFE_IMPL_RE.match(code):
            if not any("SAFETY" in t for t in src.comments_above(i)):
                problems.append((i, "unsafe impl without a `// SAFETY` comment"))
        if UNSAFE_FN_RE.match(code) and not in_trait_impl(src, i):
            problems.extend(check_unsafe_fn_doc(src, i))
        names = sorted(set(ORDERING_RE.findall(code))) if check_orderings else []
        for name in names:
            direct = src.comments_above(i)
            if any(starts_with_name(t, name) for t in direct):
                continue
            if any(covers(t, name) for t in src.covering_comments(i)):
                continue
            problems.append((i, f"`{name}` without a comment starting with `{name}`"))
    return problems


def in_trait_impl(src, i):
    """Whether line `i` is an item of an `impl Trait for Type` block (the trait documents
    the contract of its unsafe methods), judged by the nearest less-indented line."""
    indent = len(src.lines[i]) - len(src.lines[i].lstrip())
    for j in range(i - 1, -1, -1):
        line = src.code[j]
        if line.strip() == "":
            continue
        if len(line) - len(line.lstrip()) < indent:
            return re.match(r"^\s*(?:unsafe\s+)?impl\b.*\bfor\b", line) is not None
    return False


def check_unsafe_fn_doc(src, i):
    doc = []
    j = i - 1
    while j >= 0:
        s = src.lines[j].strip()
        if s.startswith("///"):
            doc.append(s[3:].strip())
        elif s.startswith("#[") or s.startswith("//") or s == "":
            if s == "" and doc:
                break
            if s == "" and not doc:
                break
        else:
            break
        j -= 1
    doc.reverse()
    if "# Safety" not in doc:
        return [(i, "unsafe fn without a `# Safety` section")]
    after = doc[doc.index("# Safety") + 1:]
    text = " ".join(after)
    if "is sound if and only if:" not in text:
        return [(i, "`# Safety` not worded \"... is sound if and only if:\"")]
    if not any(line.startswith("- ") for line in after):
        return [(i, "`# Safety` section without `- ` bullets")]
    return []


def rust_files(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if d not in ("target", ".git"))
                for f in sorted(files):
                    if f.endswith(".rs"):
                        yield os.path.join(root, f)
        elif p.endswith(".rs"):
            yield p


def main(argv):
    if not argv:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    missing = [p for p in argv if not os.path.exists(p)]
    if missing:
        print(f"check-comments: no such path: {', '.join(missing)}", file=sys.stderr)
        return 2
    total = 0
    files = 0
    for path in rust_files(argv):
        files += 1
        for line, msg in check(Source(path)):
            print(f"{path}:{line + 1}: {msg}")
            total += 1
    print(f"check-comments: {total} violation(s) in {files} file(s)", file=sys.stderr)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
