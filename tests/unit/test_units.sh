#!/usr/bin/env bash
# test_units.sh: the systemd units, sysusers.d and tmpfiles.d files of
# deploy/systemd, checked with systemd's own tools against what
# `cmake --install` puts on a machine.
#
# How: the build tree is installed with DESTDIR into a scratch root, with
# prefix /usr, exactly as the packages lay it out (binaries in /usr/bin,
# units in /usr/lib/systemd/system, man pages in /usr/share/man); the
# system's own units are copied next to ours so that sysinit.target and
# friends resolve. Then `systemd-analyze verify --root=ROOT` checks every
# unit as it will be installed: syntax, unknown or misspelt settings,
# dependencies, and that each ExecStart=/ExecStartPre= binary exists and is
# executable under ROOT (the real /usr/bin paths, no rewriting); the test
# itself checks that each Documentation=man: page is installed. The
# template simpul-adapter@.service is verified once per adapter built
# (simpul-adapter@gps, ...), with its drop-ins. Finally systemd-sysusers and
# systemd-tmpfiles apply our files to ROOT and the result is checked.
#
# Without systemd-analyze the test is skipped (exit 77, which ctest shows as
# "Skipped", not "Passed"): install the systemd package.
#
# usage: test_units.sh SOURCE_DIR BUILD_DIR
set -uo pipefail

src=$1
build=$2
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }

for tool in systemd-analyze systemd-sysusers systemd-tmpfiles; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool not found; install the systemd package" \
		    "(deploy/debian-packages.txt) to check the units" >&2
		exit 77
	fi
done

root=$(mktemp -d /tmp/simpul-units.XXXXXX) || exit 1
trap 'rm -rf -- "$root"' EXIT

if DESTDIR=$root cmake --install "$build" --prefix /usr >"$root.log" 2>&1; then
	ok "cmake --install into a scratch root"
else
	cat "$root.log"
	rm -f -- "$root.log"
	fail "cmake --install into a scratch root (is everything built?)"
	echo "$passed passed, $failed failed"
	exit 1
fi
rm -f -- "$root.log"
# The system's units (sysinit.target, basic.target, ...): ours depend on them.
mkdir -p "$root/usr/lib/systemd/system"
for d in /usr/lib/systemd/system /lib/systemd/system; do
	[ -d "$d" ] && cp -an "$d/." "$root/usr/lib/systemd/system/" 2>/dev/null
done

# The units to verify: each plain unit, and the template once per adapter
# daemon (adapters/<name>/ with a CMakeLists.txt builds simpul-<name>).
units=()
for f in "$src"/deploy/systemd/*.service; do
	name=${f##*/}
	case $name in
	*@.service)
		for dir in "$src"/adapters/*/; do
			a=$(basename -- "$dir")
			[ -f "$dir/CMakeLists.txt" ] && [ "$a" != lib ] || continue
			units+=("${name%@.service}@$a.service")
		done
		;;
	*)
		units+=("$name")
		;;
	esac
done
[ ${#units[@]} -ge 2 ] && ok "units to verify: ${units[*]}" || fail "found only: ${units[*]}"

for u in "${units[@]}"; do
	# --man=no: verify would run man(1) (man-db) for Documentation=; the
	# pages are checked in ROOT below instead.
	out=$(systemd-analyze verify --root="$root" --man=no "$u" 2>&1)
	rc=$?
	# verify prints nothing for a clean unit (a warning does not change
	# its status, so the output is what counts).
	if [ $rc -eq 0 ] && [ -z "$out" ]; then
		ok "systemd-analyze verify $u"
	else
		fail "systemd-analyze verify $u (status $rc): $out"
	fi
	# Documentation=man:PAGE(SECTION), with %i as systemd expands it.
	inst=${u#*@}
	inst=${inst%.service}
	file=$root/usr/lib/systemd/system/$u
	[ -f "$file" ] || file=$root/usr/lib/systemd/system/${u%%@*}@.service
	for page in $(sed -n 's/^Documentation=//p' "$file" | tr ' ' '\n' |
	    sed -n 's/^man:\(.*\)(\([1-8]\))$/\1.\2/p'); do
		page=${page//%i/$inst}
		if [ -f "$root/usr/share/man/man${page##*.}/$page.gz" ]; then
			ok "$u: its man page $page is installed"
		else
			fail "$u: Documentation names $page, which is not installed"
		fi
	done
done

# The hardening the units promise, in the files as installed.
for u in simpul-hub.service simpul-adapter@.service; do
	f=$root/usr/lib/systemd/system/$u
	for want in 'User=simpul' 'ProtectSystem=strict' 'ProtectHome=yes' \
	    'NoNewPrivileges=yes' 'PrivateTmp=yes' 'PrivateDevices=yes' \
	    'StateDirectory=simpul' 'ConfigurationDirectory=simpul' \
	    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
	    'CapabilityBoundingSet=' 'Restart=on-failure'; do
		if grep -qxF -- "$want" "$f"; then
			ok "$u: $want"
		else
			fail "$u lacks the line '$want'"
		fi
	done
	# Exit 75 (the hub cannot journal) must be restarted, never held.
	if grep -E '^(RestartPreventExitStatus|SuccessExitStatus)=.*\b75\b' "$f"; then
		fail "$u keeps exit status 75 from restarting"
	else
		ok "$u restarts after exit status 75"
	fi
	grep -q '^ExecStartPre=/usr/bin/simpul-.* -n -c /etc/simpul/' "$f" &&
	    ok "$u checks its config first (ExecStartPre -n)" ||
	    fail "$u has no ExecStartPre config check"
done

# sysusers.d and tmpfiles.d, applied to the scratch root.
mkdir -p "$root/etc"
: >"$root/etc/passwd"
: >"$root/etc/group"
if out=$(systemd-sysusers --root="$root" simpul.conf 2>&1); then
	ok "systemd-sysusers simpul.conf"
else
	fail "systemd-sysusers simpul.conf: $out"
fi
grep -q '^simpul:x:[0-9]*:[0-9]*:Simpul event bus daemons:/var/lib/simpul:/usr/sbin/nologin$' \
    "$root/etc/passwd" && ok "the simpul user exists, home /var/lib/simpul" ||
    fail "no simpul user in $(cat "$root/etc/passwd")"
grep -q '^simpul:x:' "$root/etc/group" && ok "the simpul group exists" ||
    fail "no simpul group"
if out=$(systemd-tmpfiles --root="$root" --create simpul.conf 2>&1); then
	ok "systemd-tmpfiles --create simpul.conf"
else
	fail "systemd-tmpfiles --create simpul.conf: $out"
fi
gid=$(awk -F: '$1 == "simpul" { print $3 }' "$root/etc/group")
uid=$(awk -F: '$1 == "simpul" { print $3 }' "$root/etc/passwd")
[ "$(stat -c '%a %u %g' "$root/etc/simpul" 2>&1)" = "750 0 $gid" ] &&
    ok "/etc/simpul is 0750 root:simpul" ||
    fail "/etc/simpul: $(stat -c '%a %u %g' "$root/etc/simpul" 2>&1)"
[ "$(stat -c '%a %u %g' "$root/var/lib/simpul" 2>&1)" = "750 $uid $gid" ] &&
    ok "/var/lib/simpul is 0750 simpul:simpul" ||
    fail "/var/lib/simpul: $(stat -c '%a %u %g' "$root/var/lib/simpul" 2>&1)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
