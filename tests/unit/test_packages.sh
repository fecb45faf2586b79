#!/usr/bin/env bash
# test_packages.sh: `cpack -G DEB` on this build tree makes the four
# packages with the files, dependencies and maintainer scripts that
# deploy/INSTALL.md relies on. Nothing is installed.
#
# The build tree may be configured for any prefix: the packages are laid
# out for /usr here (-D SIMPUL_PACKAGE_ANY_PREFIX=ON), which checks the
# layout, not the paths compiled into the binaries; a tree for another
# prefix than /usr must be refused without that switch.
#
# Needs cpack, dpkg-deb, dpkg-shlibdeps (dpkg-dev) and file(1), which
# CPack uses to find the binaries; skipped (77) without them.
#
# usage: test_packages.sh SOURCE_DIR BUILD_DIR
set -uo pipefail

src=$1
build=$2
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }

for tool in cpack dpkg-deb dpkg-shlibdeps file; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool not found; install cmake, dpkg-dev and file" >&2
		exit 77
	fi
done

out=$(mktemp -d /tmp/simpul-pkg.XXXXXX) || exit 1
trap 'rm -rf -- "$out"' EXIT
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
[ -n "$version" ] && ok "version $version" || fail "no CPACK_PACKAGE_VERSION in $build/CPackConfig.cmake"

if [ "$prefix" != /usr ]; then
	if (cd "$out" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out") \
	    >"$out/refused.log" 2>&1; then
		fail "cpack packaged a tree built for $prefix"
	elif grep -q 'DCMAKE_INSTALL_PREFIX=/usr' "$out/refused.log"; then
		ok "cpack refuses a tree built for $prefix, and says why"
	else
		fail "cpack failed for another reason: $(tail -5 "$out/refused.log")"
	fi
	rm -f "$out"/*.deb
fi

if (cd "$out" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out" \
    -D SIMPUL_PACKAGE_ANY_PREFIX=ON -D CPACK_PACKAGING_INSTALL_PREFIX=/usr) \
    >"$out/cpack.log" 2>&1; then
	ok "cpack -G DEB"
else
	cat "$out/cpack.log"
	fail "cpack -G DEB"
	echo "$passed passed, $failed failed"
	exit 1
fi

arch=$(dpkg --print-architecture)
deb() { echo "$out/$1_${version}-1_$2.deb"; }

# has PACKAGE ARCH PATH...: each path is in the package.
has()
{
	local pkg=$1 a=$2 f list p

	shift 2
	f=$(deb "$pkg" "$a")
	if [ ! -f "$f" ]; then
		fail "no package $(basename -- "$f")"
		return
	fi
	list=$(dpkg-deb -c "$f" | awk '{ print $1, $2, $6 }')
	for p in "$@"; do
		case $p in
		*/bin/*|*/sbin/*) want="-rwxr-xr-x root/root .$p" ;;
		*) want="-rw-r--r-- root/root .$p" ;;
		esac
		if grep -qxF -- "$want" <<<"$list"; then
			ok "$pkg ships $p"
		else
			fail "$pkg lacks '$want'"
		fi
	done
}

has simpul-common all /usr/share/simpul/schemas/envelope.json \
    /usr/share/simpul/schemas/gps.position.json \
    /usr/lib/sysusers.d/simpul.conf /usr/lib/tmpfiles.d/simpul.conf
has simpul-hub "$arch" /usr/bin/simpul-hub \
    /usr/lib/systemd/system/simpul-hub.service \
    /usr/share/man/man8/simpul-hub.8.gz \
    /usr/share/doc/simpul-hub/examples/hub.conf.example \
    /usr/share/doc/simpul-hub/INSTALL.md \
    /usr/share/simpul/postgres-roles.sql
has simpul-tools "$arch" /usr/bin/simpulctl /usr/bin/simpul-loadgen \
    /usr/share/man/man1/simpulctl.1.gz /usr/sbin/simpul-broker-setup \
    /usr/share/doc/simpul-tools/examples/clients.example
has simpul-console "$arch" /usr/bin/simpul-console \
    /usr/lib/systemd/system/simpul-console.service \
    /usr/share/man/man8/simpul-console.8.gz \
    /usr/share/doc/simpul-console/examples/console.conf.example
adapter_files=(/usr/lib/systemd/system/simpul-adapter@.service
    /usr/lib/systemd/system/simpul-adapter@pengaduan.service.d/sms-spool.conf)
for dir in "$src"/adapters/*/; do
	a=$(basename -- "$dir")
	[ -f "$dir/CMakeLists.txt" ] && [ "$a" != lib ] || continue
	adapter_files+=(/usr/bin/simpul-$a /usr/share/man/man8/simpul-$a.8.gz
	    /usr/share/doc/simpul-adapters/examples/simpul-$a.conf.example)
done
has simpul-adapters "$arch" "${adapter_files[@]}"

# The schemas are all there, byte for byte.
n=$(dpkg-deb -c "$(deb simpul-common all)" | grep -c '/usr/share/simpul/schemas/.*\.json$')
[ "$n" -eq "$(ls "$src"/schemas/*.json | wc -l)" ] && ok "all $n schemas" ||
    fail "$n schemas packaged, $(ls "$src"/schemas/*.json | wc -l) in schemas/"

# Dependencies: on simpul-common of the same version, and on the run-time
# libraries found by dpkg-shlibdeps.
dep=$(dpkg-deb -f "$(deb simpul-hub "$arch")" Depends)
for want in "simpul-common (= $version-1)" libpq5 libmicrohttpd12 \
    libpaho-mqtt1.3 libmosquitto1 libcjson1 libyaml-0-2 libpcre2-8-0 libinih1 libc6; do
	case $dep in
	*"$want"*) ok "simpul-hub depends on $want" ;;
	*) fail "simpul-hub Depends lacks $want: $dep" ;;
	esac
done
for p in simpul-adapters simpul-tools; do
	dep=$(dpkg-deb -f "$(deb $p "$arch")" Depends)
	case $dep in
	*"simpul-common (= $version-1)"*libpaho-mqtt1.3*) ok "$p depends on simpul-common and Paho" ;;
	*) fail "$p Depends: $dep" ;;
	esac
done
[ "$(dpkg-deb -f "$(deb simpul-common all)" Depends)" = systemd ] &&
    ok "simpul-common depends on systemd (sysusers, tmpfiles)" ||
    fail "simpul-common Depends: $(dpkg-deb -f "$(deb simpul-common all)" Depends)"

# Maintainer scripts: present, executable, valid sh, about the right units.
for p in simpul-common:all simpul-hub:$arch simpul-adapters:$arch simpul-tools:$arch; do
	name=${p%%:*}
	dpkg-deb -e "$(deb "$name" "${p#*:}")" "$out/ctl-$name"
	for s in postinst prerm postrm; do
		f=$out/ctl-$name/$s
		if [ -x "$f" ] && sh -n "$f"; then
			ok "$name: $s is an executable sh script"
		else
			fail "$name: $s missing, not executable or not valid sh"
		fi
	done
done
grep -q 'systemd-sysusers simpul.conf' "$out/ctl-simpul-common/postinst" &&
    grep -q 'systemd-tmpfiles --create simpul.conf' "$out/ctl-simpul-common/postinst" &&
    ok "simpul-common postinst creates the user and directories" ||
    fail "simpul-common postinst does not run sysusers and tmpfiles"
grep -q "systemctl try-restart simpul-hub.service" "$out/ctl-simpul-hub/postinst" &&
    ok "simpul-hub postinst restarts the hub on upgrade" ||
    fail "simpul-hub postinst: $(cat "$out/ctl-simpul-hub/postinst")"
grep -q "systemctl stop 'simpul-adapter@\*.service'" "$out/ctl-simpul-adapters/prerm" &&
    ok "simpul-adapters prerm stops every instance" ||
    fail "simpul-adapters prerm: $(cat "$out/ctl-simpul-adapters/prerm")"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
