#!/bin/bash
# make_seeds.sh NOSCO SAMPLES_DIR: regenerates the seed corpora of the fuzz
# targets in corpus/ (except corpus/config, written by hand). The seeds are
# committed: this script documents where they come from. Needs gcc, strip,
# python3 and sqlite3.
set -euo pipefail
nosco=$1 samples=$2
here=$(cd "$(dirname "$0")" && pwd)
C=$here/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# procfs: /proc files as the kernel writes them, and path pairs.
mkdir -p "$C/procfs"
cp /proc/self/status "$C/procfs/status"
printf 'State:\tS (sleeping)\nSigPnd:\t0000000000000100\nSigCgt:\tffffffffffffffff\n' >"$C/procfs/status-short"
printf 'prog\0--flag\0\0last' >"$C/procfs/cmdline-cut"
printf '/usr/bin/python3\0-c\0pass\0' >"$C/procfs/cmdline"
printf 'PATH=/usr/bin:/bin\0HOME=/root\0EMPTY=\0' >"$C/procfs/environ"
head -c 368 /proc/self/auxv >"$C/procfs/auxv"
printf '/home/u/./src//a\0../lib/./x.so/' >"$C/procfs/join"
printf '/\0.' >"$C/procfs/join-root"

# linkmap: memory images (2 bytes placing a hole, then memory at BASE):
# r_debug at BASE, link_map entries (l_addr, l_name, l_ld, l_next, l_prev)
# and their names.
mkdir -p "$C/linkmap"
python3 - "$C/linkmap" <<'PY'
import struct, sys
out = sys.argv[1]
BASE = 0x10000
def image(entries, cycle=False, hole=(0, 0)):
    mem = bytearray(16 + 40 * len(entries))
    first = BASE + 16 if entries else 0
    struct.pack_into('<iiQ', mem, 0, 1, 0, first)
    names = bytearray()
    name_base = BASE + len(mem)
    for i, (addr, name) in enumerate(entries):
        off = 16 + 40 * i
        nxt = BASE + 16 + 40 * (i + 1) if i + 1 < len(entries) else (first if cycle else 0)
        prev = BASE + 16 + 40 * (i - 1) if i else 0
        l_name = name_base + len(names) if name is not None else 0
        struct.pack_into('<QQQQQ', mem, off, addr, l_name, 0, nxt, prev)
        if name is not None:
            names += name.encode() + b'\0'
    return bytes(hole) + bytes(mem) + bytes(names)
seeds = {
    'glibc': image([(0, ''), (0x7f0000000000, 'linux-vdso.so.1'),
                    (0x7f1000000000, '/lib/x86_64-linux-gnu/libc.so.6'),
                    (0x7f2000000000, '/lib64/ld-linux-x86-64.so.2')]),
    'cycle': image([(0, ''), (0x1000, '/a.so'), (0x2000, '/b.so')], cycle=True),
    'null-names': image([(0, None), (0x1000, None)]),
    'hole': image([(0, ''), (0x1000, '/lib/' + 'x' * 300 + '.so')], hole=(4, 3)),
    'empty': image([]),
}
for name, data in seeds.items():
    open(f'{out}/{name}', 'wb').write(data)
PY

# symbols: small ELF files: a PIE with DWARF lines, a shared object with
# PLT entries, a static executable without libc, a stripped one; and
# mangled names.
mkdir -p "$C/symbols"
cat >"$work/lib.c" <<'EOF'
#include <stdio.h>
static int twice(int x) { return 2 * x; }
int shared_fn(int x) { return twice(x) + puts("x"); }
EOF
cat >"$work/prog.c" <<'EOF'
int add(int a, int b) { return a + b; }
int main(void) { return add(1, 2) - 3; }
EOF
cat >"$work/nolibc.c" <<'EOF'
void _start(void) { __asm__ volatile("mov $60, %eax; xor %edi, %edi; syscall"); }
EOF
small=(-Wl,-z,noseparate-code -Wl,--build-id)
gcc -g -O0 -fPIC -shared "${small[@]}" -o "$C/symbols/lib.so" "$work/lib.c"
gcc -g -O0 "${small[@]}" -o "$C/symbols/prog" "$work/prog.c"
strip -o "$C/symbols/prog-stripped" "$C/symbols/prog"
gcc -O1 -nostdlib -static "${small[@]}" -o "$C/symbols/nolibc" "$work/nolibc.c"
printf '_ZN2ns6ParserIcE5parseERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE' \
	>"$C/symbols/mangled"
printf '_ZSt4moveIRSt10unique_ptrIiSt14default_deleteIiEEEONSt16remove_referenceIT_E4typeEOS6_' \
	>"$C/symbols/mangled-template"

# qdb: trace files: a real one (asm_exact, 512-byte pages), the smallest
# file qdb_open accepts, one in WAL mode, and hostile ones (a view that
# loads an extension, a cycle in the call tree).
mkdir -p "$C/qdb"
"$nosco" run -o "$work/real.db" -- "$samples/asm_exact" >/dev/null 2>&1 || true
sqlite3 "$work/real.db" 'PRAGMA page_size = 512; VACUUM;'
cp "$work/real.db" "$C/qdb/asm_exact"
min="PRAGMA page_size = 512; PRAGMA user_version = 1;
CREATE TABLE trace(id INTEGER PRIMARY KEY, format TEXT);
INSERT INTO trace VALUES (1, 'nosco-sql trace');"
sqlite3 "$work/min.db" "$min"
cp "$work/min.db" "$C/qdb/minimal"
sqlite3 "$work/wal.db" "$min PRAGMA journal_mode = WAL;" >/dev/null
cp "$work/wal.db" "$C/qdb/wal"
cp "$work/real.db" "$work/evil.db"
sqlite3 "$work/evil.db" "DROP VIEW IF EXISTS q_threads;
CREATE VIEW q_threads AS SELECT load_extension('/tmp/evil.so') AS id;
UPDATE calls SET parent_id = (SELECT max(id) FROM calls) WHERE id = 1;
VACUUM;"
cp "$work/evil.db" "$C/qdb/hostile"
ls -l "$C"/*
