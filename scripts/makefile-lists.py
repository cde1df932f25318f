#!/usr/bin/env python3
# makefile-lists.py: rewrites Makefile.am's libcmflow_a_SOURCES and noinst_HEADERS from the files under src/
# (every .c but the program's own src/cli/*.c, every .h), one file a line.
import glob, re, os
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
m = open('Makefile.am').read()
srcs = sorted(f for f in glob.glob('src/*/*.c') if not f.startswith('src/cli/'))
hdrs = sorted(f for f in glob.glob("src/*/*.h") if not f.startswith("src/cli/"))
def block(name, files):
    return name + ' = \\\n' + ' \\\n'.join('\t' + f for f in files) + '\n'
m = re.sub(r'libcmflow_a_SOURCES = \\\n(\t.*\\\n)*\t.*\n', block('libcmflow_a_SOURCES', srcs), m)
m = re.sub(r'noinst_HEADERS = \\\n(\t.*\\\n)*\t.*\n', block('noinst_HEADERS', hdrs), m)
open('Makefile.am', 'w').write(m)
