"""Compile every .py under ROOT to hash-based bytecode, the same bytes on every machine.

    python3.X -S -s layers/ship/compile_tree.py ROOT [--checked]   (PYTHONHASHSEED=0; run by build_layer.py,
                                                                    and by package_function.py with --checked)

Unchecked-hash by default (the layer: immutable, trusted as it is). --checked writes checked-hash pycs, which
make the import hash the source and compile it afresh when it no longer matches: for the function code, which
can be edited in place after the upload (FunctionGraph's console), so an edit is never shadowed by its old pyc.

Runs in the RUNTIME's interpreter (nothing but the standard library). Why not `python -m compileall`: marshal
writes a string with a back-reference flag when its reference count is above one, so the bytes of a .pyc
depend on what else the compiling process still holds, and cyclic garbage left by earlier files lives until
the collector happens to run, which depends on allocation counts that differ with the length and depth of the
checkout's path. Here the automatic collector is off and a full collection runs before each file, so every
file is compiled from the same process state: sorted order, one process, no garbage carried over. The
recorded file names are relative to ROOT (`yaml/__init__.py`), never the build's directory.
"""

import compileall
import gc
import os
import py_compile
import sys


def main(root: str, mode: py_compile.PycInvalidationMode = py_compile.PycInvalidationMode.UNCHECKED_HASH) -> int:
    gc.disable()
    failed = []
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            gc.collect()
            path = os.path.join(directory, name)
            if not compileall.compile_file(path, quiet=1, stripdir=root, invalidation_mode=mode):
                failed.append(path)
    for path in failed:
        print(f"could not compile {path}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[2:] not in ([], ["--checked"]):
        sys.exit("usage: compile_tree.py ROOT [--checked]")
    modes = py_compile.PycInvalidationMode
    sys.exit(main(os.path.abspath(sys.argv[1]), modes.CHECKED_HASH if sys.argv[2:] else modes.UNCHECKED_HASH))
