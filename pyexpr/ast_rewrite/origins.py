"""Where the source text of a function can be found.

``texts(func)`` yields ``(lines, by_position)`` for each place the text of
``func`` may be, most likely first: ``lines`` is a list of lines ending in
``"\\n"``; ``by_position`` says whether the code's line numbers count from
its first line (so ``co_firstlineno`` points at the function there).

* the file, cell or prompt that ``linecache`` knows by the code's file name
  (checked against the file's size and modification time first, so an
  edited module that is reloaded is read anew): files, IPython and Jupyter
  cells, Python 3.13's REPL;
* ``python -c CODE``: the command, from ``sys.orig_argv``;
* ``python - < file`` and ``python < file``: standard input, re-read when it
  is a regular file;
* the plain interactive prompt: the lines typed, from ``readline``'s history
  (each statement is compiled on its own, so positions do not count);
* the module's own file, for code that a tool compiled from a module's
  text under another name (IPython's autoreload executes changed
  definitions as ``"<string>"``).

Nothing here decides that a text *is* the function's: ``source`` compiles
what it finds and compares it with the code Python runs.
"""
import linecache
import os
import stat
import sys

#: short options of the interpreter that take no argument, which may precede ``c`` in one word
_FLAG_LETTERS = set("bBdEhiIOPqRsSuvx")


def texts(func):
    code = func.__code__
    filename = code.co_filename
    linecache.checkcache(filename)          # stat the file: a reloaded module is read anew
    lines = linecache.getlines(filename, getattr(func, "__globals__", None))
    if lines:
        yield lines, True
    if filename == "<string>":
        command = _command_text()
        if command is not None:
            yield _split(command), True
    elif filename == "<stdin>":
        piped = _stdin_text()
        if piped is not None:
            yield _split(piped), True
        typed = _typed_lines()
        if typed:
            yield typed, False
    module_file = _module_file(func)
    if module_file and module_file != filename:
        linecache.checkcache(module_file)
        lines = linecache.getlines(module_file)
        if lines:
            yield lines, False


def _split(text):
    return [line if line.endswith("\n") else line + "\n" for line in text.splitlines()]


def _command_text():
    """The CODE of ``python -c CODE`` (also ``-cCODE``, ``-Ic CODE``, after ``-X opt``), or None."""
    argv = getattr(sys, "orig_argv", None) or []
    i = 1
    while i < len(argv):
        word = argv[i]
        if word.startswith("--") and word != "--":
            i += 2 if word == "--check-hash-based-pycs" else 1
            continue
        if not word.startswith("-") or word in ("-", "--"):
            return None                     # a script, a module or standard input
        letters = word[1:]
        for k, letter in enumerate(letters):
            if letter == "c":
                rest = letters[k + 1:]
                return rest or (argv[i + 1] if i + 1 < len(argv) else None)
            if letter in "XW":              # their argument is the rest of the word, or the next
                i += 0 if letters[k + 1:] else 1
                break
            if letter not in _FLAG_LETTERS:
                return None
        i += 1
    return None


def _stdin_text():
    """Standard input's whole text when it is a regular file (``python - < model.py``)."""
    try:
        info = os.fstat(0)
        if not stat.S_ISREG(info.st_mode):          # a pipe or a terminal: read once, gone
            return None
        return os.pread(0, info.st_size, 0).decode()
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _typed_lines():
    """The lines typed at the interactive prompt, oldest first (readline's history)."""
    readline = sys.modules.get("readline")
    if readline is None:
        return []
    try:
        items = map(readline.get_history_item, range(1, readline.get_current_history_length() + 1))
        return [item + "\n" for item in items if item is not None]
    except Exception:               # a readline stand-in without history
        return []


def _module_file(func):
    module = sys.modules.get(getattr(func, "__module__", None) or "")
    path = getattr(module, "__file__", None)
    return path if isinstance(path, str) and path.endswith(".py") else None
