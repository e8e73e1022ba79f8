#!/usr/bin/env bash
# The Debian packages, checked without a chroot (debootstrap costs minutes and a mirror; this runs in
# seconds): CPack builds both packages from this build tree; their contents are listed and checked;
# every library a program needs (ELF NEEDED) must come from a package named in Depends, and every
# Depends must be satisfiable on this Debian 12 (installed at that version, or the sibling package);
# latency-pong must not depend on Qt; then both are unpacked into an empty root and
# `latency-ping --help` and `latency-pong --version` run from there.
# usage: test_deb.sh BUILD_DIR VERSION
set -euo pipefail
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR
build=$1 version=$2
for tool in dpkg-deb dpkg-query cpack objdump; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
command -v dpkg-shlibdeps >/dev/null || { echo "SKIP: dpkg-shlibdeps missing (apt-get install dpkg-dev)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cpack -G DEB -B "$work/out" --config "$build/CPackConfig.cmake" >"$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log"; fail "cpack failed"; }
explorer=$work/out/latency-explorer_${version}_amd64.deb
pong=$work/out/latency-pong_${version}_amd64.deb
[ -f "$explorer" ] || fail "no $(basename "$explorer") (made: $(ls "$work/out"))"
[ -f "$pong" ] || fail "no $(basename "$pong")"

contents() { dpkg-deb -c "$1" | awk '{print $6}' | sed 's|^\./|/|'; }
expect_files() {
    local deb=$1
    shift
    local list
    list=$(contents "$deb")
    for f in "$@"; do
        grep -qx "$f" <<<"$list" || fail "$(basename "$deb") lacks $f; it has:"$'\n'"$list"
    done
}
expect_files "$explorer" /usr/bin/latency-explorer /usr/bin/latency-ping \
    /usr/share/applications/latency-explorer.desktop /usr/share/icons/hicolor/scalable/apps/latency-explorer.svg \
    /usr/share/man/man1/latency-explorer.1.gz /usr/share/man/man1/latency-ping.1.gz
expect_files "$pong" /usr/bin/latency-pong /usr/share/man/man1/latency-pong.1.gz
# (Outputs go through variables: `cmd | grep -q` under pipefail fails when grep stops reading early.)
explorer_files=$(contents "$explorer")
grep -q latency-pong <<<"$explorer_files" && fail "latency-explorer also ships latency-pong"
echo "contents: as expected"

depends() { dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/^ *//;s/ *$//'; }
pong_deps=$(depends "$pong")
explorer_deps=$(depends "$explorer")
grep -qi qt <<<"$pong_deps" && fail "latency-pong depends on Qt: $pong_deps"
grep -qx "latency-pong (= $version)" <<<"$explorer_deps" || fail "latency-explorer does not depend on latency-pong (= $version)"

# Every Depends is satisfiable here: installed at a version that meets it (or the sibling package).
for deb in "$explorer" "$pong"; do
    while read -r dep; do
        [ -z "$dep" ] && continue
        name=${dep%% *}
        [ "$name" = latency-pong ] && continue
        have=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null) || fail "$(basename "$deb"): $name is not a Debian package here"
        if [[ $dep =~ \((.+)\ (.+)\) ]]; then
            dpkg --compare-versions "$have" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" ||
                fail "$(basename "$deb"): needs $dep, Debian has $have"
        fi
    done < <(depends "$deb")
done

# Every library the programs load directly comes from a package in Depends.
root=$work/root
mkdir -p "$root"
dpkg-deb -x "$explorer" "$root"
dpkg-deb -x "$pong" "$root"
check_libs() {
    local bin=$1 deb=$2 deps lib path pkg
    deps=$(depends "$deb" | awk '{print $1}')
    local needed cache
    needed=$(objdump -p "$bin" | awk '/NEEDED/ {print $2}')
    cache=$(ldconfig -p)
    for lib in $needed; do
        path=$(awk -v l="$lib" '$1 == l && /x86-64/ {print $NF; exit}' <<<"$cache")
        [ -n "$path" ] || fail "$bin needs $lib, which is not installed"
        pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "$path" 2>/dev/null || true)
        pkg=$(head -1 <<<"$pkg" | cut -d: -f1)
        [ -n "$pkg" ] || fail "$bin needs $lib ($path), which no package owns"
        grep -qx "$pkg" <<<"$deps" || fail "$(basename "$bin") needs $lib from $pkg, not in Depends: $(echo $deps)"
    done
}
echo "dependencies: satisfiable on this Debian"
check_libs "$root/usr/bin/latency-explorer" "$explorer"
check_libs "$root/usr/bin/latency-ping" "$explorer"
check_libs "$root/usr/bin/latency-pong" "$pong"

# And they run from the unpacked root.
help=$("$root/usr/bin/latency-ping" --help) || fail "latency-ping --help failed"
grep -q -- "--hlog" <<<"$help" || fail "latency-ping --help does not look like ours"
[ "$("$root/usr/bin/latency-pong" --version)" = "latency-pong $version" ] || fail "latency-pong --version: $("$root/usr/bin/latency-pong" --version)"
man=$(zcat "$root/usr/share/man/man1/latency-ping.1.gz")
grep -q -- 'hlog' <<<"$man" || fail "the latency-ping man page lacks --hlog"
echo "packages: $(basename "$explorer") ($(dpkg-deb -f "$explorer" Installed-Size) KiB), $(basename "$pong") ($(dpkg-deb -f "$pong" Installed-Size) KiB)"
echo "latency-explorer Depends: $(dpkg-deb -f "$explorer" Depends)"
echo "latency-pong Depends: $(dpkg-deb -f "$pong" Depends)"
echo "ran from the unpacked root: latency-ping --help, $("$root/usr/bin/latency-pong" --version)"
