#!/usr/bin/env python3
"""Puts a generated section into docs/BENCHMARKS.md: replaces the text between the section's
`<!-- NAME:begin` and `<!-- NAME:end -->` markers, or appends the section when the file has
none (scripts/bench/run.sh rewrites the rest of the file first).

  write_section.py <file> <marker name, e.g. reports-bench> <section text>
"""
import re
import sys

path, name, section = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    text = open(path).read()
except FileNotFoundError:
    text = "# Benchmarks\n"
pattern = re.compile(r"<!-- %s:begin.*?<!-- %s:end -->" % (re.escape(name), re.escape(name)), re.S)
if pattern.search(text):
    text = pattern.sub(lambda _: section, text)
else:
    text = text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
