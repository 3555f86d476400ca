#!/usr/bin/env bash
# Fails when a module needs a newer glibc than the given floor: the newest GLIBC_x.y
# symbol version it imports must not exceed it.
#   check-glibc.sh <file.node> <floor, e.g. 2.17>
set -euo pipefail
newest=$(objdump -T "$1" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
echo "$1: newest glibc symbol version $newest (floor $2)"
[ "$(printf '%s\n%s\n' "$newest" "$2" | sort -V | tail -1)" = "$2" ]
