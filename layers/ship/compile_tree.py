"""Compile every .py under ROOT to unchecked-hash bytecode, the same bytes on every machine.

    python3.X -S -s layers/ship/compile_tree.py ROOT      (PYTHONHASHSEED=0; run by build_layer.py)

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


def main(root: str) -> int:
    gc.disable()
    failed = []
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            gc.collect()
            path = os.path.join(directory, name)
            if not compileall.compile_file(path, quiet=1, stripdir=root,
                                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH):
                failed.append(path)
    for path in failed:
        print(f"could not compile {path}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(os.path.abspath(sys.argv[1])))
