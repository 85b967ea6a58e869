"""The magics' syntax: faultline flags, setup and candidates from a magic's
line and cell. Kept free of IPython so it is tested on its own."""

import io
import re
import shlex
import tokenize

# A line that starts a candidate in a cell: "# --", optionally followed by
# the candidate's label ("# -- named temporary").
SEPARATOR = re.compile(r"^\s*#\s?--(?:\s+(?P<label>\S.*?))?\s*$")


class SyntaxUsageError(ValueError):
    """The magic's line or cell does not follow its syntax."""


def split_flags(line):
    """shlex-split flags, with a message that names the magic on bad quoting."""
    try:
        return shlex.split(line)
    except ValueError as e:
        raise SyntaxUsageError(f"cannot split the magic's flags ({e}): {line!r}") from None


def parse_cell(line, cell):
    """(flags, setup, statements, labels) of a %%faultline cell.

    Every line before the first "# --" line is setup; each "# --" line
    starts a candidate that runs to the next one, with the rest of the
    separator line as its label."""
    flags = split_flags(line)
    setup, cands, labels = [], [], []
    current = setup
    for n, text in enumerate(cell.splitlines(), 1):
        m = SEPARATOR.match(text)
        if m:
            current = []
            cands.append((n, current))
            labels.append(m.group("label") or "")
            continue
        current.append(text)
    if not cands:
        raise SyntaxUsageError("a %%faultline cell needs a '# --' line before each candidate: "
                               "setup lines first, then '# --' and the first candidate's code, "
                               "'# --' and the second's, ... (see %faultline?)")
    stmts = []
    for (n, body), label in zip(cands, labels):
        code = "\n".join(body).strip("\n")
        if not code.strip():
            raise SyntaxUsageError(f"line {n} ('# --{' ' + label if label else ''}') starts a candidate with no code")
        stmts.append(code)
    if any(labels) and any(f in ("-l", "--label") or f.startswith("--label=") for f in flags):
        raise SyntaxUsageError("labels come from the '# -- LABEL' lines; leave out -l/--label")
    return flags, "\n".join(setup).strip("\n"), stmts, labels if any(labels) else []


def parse_line(line):
    """(flags, statements) of a %faultline line: [FLAGS --] STMT_A ; STMT_B.

    Flags, when given, end at a lone "--". Candidates are separated by ";",
    or by ";;" when a candidate is itself several statements joined by ";"."""
    text = line.strip()
    flags = []
    if text.startswith("-"):
        lex = shlex.shlex(text, posix=True)
        lex.whitespace_split = True
        rest = None
        try:
            while True:
                tok = lex.get_token()
                if tok is None or tok == lex.eof:
                    break
                if tok == "--":
                    rest = text[lex.instream.tell():]
                    break
                flags.append(tok)
        except ValueError as e:
            raise SyntaxUsageError(f"cannot split the magic's flags ({e})") from None
        if rest is None:
            raise SyntaxUsageError("end faultline's flags with a lone '--' before the statements: "
                                   "%faultline --budget 20s -s 'import numpy as np; a = np.ones(10**6)' -- a.sum() ; a.mean()")
        text = rest
    stmts = [s.strip() for s in split_statements(text)]
    if not any(stmts):
        raise SyntaxUsageError("no statements: %faultline [FLAGS --] STMT_A ; STMT_B")
    if not all(stmts):
        raise SyntaxUsageError(f"an empty statement between separators in {text!r}")
    return flags, stmts


def split_statements(text):
    """Split at ";" (or at ";;" when the text has any) outside strings."""
    try:
        semis = [tok.start[1] for tok in tokenize.generate_tokens(io.StringIO(text).readline)
                 if tok.type == tokenize.OP and tok.string == ";" and tok.start[0] == 1]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        # Code Python cannot even tokenize: split naively and let faultline
        # report the SyntaxError with the candidate it belongs to.
        semis = [i for i, c in enumerate(text) if c == ";"]
    doubles = [a for a, b in zip(semis, semis[1:]) if b == a + 1]
    if doubles:
        cuts = [(a, a + 2) for a in doubles]
    else:
        cuts = [(a, a + 1) for a in semis]
    parts, start = [], 0
    for a, b in cuts:
        parts.append(text[start:a])
        start = b
    parts.append(text[start:])
    return parts
