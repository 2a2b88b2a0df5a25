"""Write the README's list of the names a formula understands, from pyexpr's own table.

    python tools/readme_names.py          # rewrites the block between the names markers
    python tools/readme_names.py --check  # exit 1 if the README is out of date
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")
START, END = "<!-- names: start -->", "<!-- names: end -->"


def block():
    from pyexpr.ast_rewrite.names import understood
    rows = [f"| `{module}` | {', '.join(f'`{n}`' for n in names)} |"
            for module, names in understood().items()]
    return "\n".join([START, "| module | names |", "| --- | --- |", *rows, END])


def rewritten(text):
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return head + block() + tail


def main(argv):
    with open(README) as f:
        text = f.read()
    new = rewritten(text)
    if "--check" in argv:
        return 0 if new == text else 1
    with open(README, "w") as f:
        f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
