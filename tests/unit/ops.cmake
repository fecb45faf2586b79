# The systemd units, sysusers.d and tmpfiles.d files (deploy/systemd),
# verified by systemd's tools against a DESTDIR install of this build tree
# (see the script). Skipped, not passed, without systemd-analyze.
add_test(NAME ops_systemd_units
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_units.sh ${CMAKE_SOURCE_DIR}
    ${CMAKE_BINARY_DIR})
set_tests_properties(ops_systemd_units PROPERTIES LABELS unit TIMEOUT 300
  RESOURCE_LOCK simpul_build_install
  SKIP_RETURN_CODE 77)

# `cpack -G DEB` on this build tree: the four packages, their files,
# dependencies (dpkg-shlibdeps) and maintainer scripts; nothing is
# installed. Skipped without cpack, dpkg-deb or dpkg-shlibdeps.
add_test(NAME ops_deb_packages
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/test_packages.sh ${CMAKE_SOURCE_DIR}
    ${CMAKE_BINARY_DIR})
set_tests_properties(ops_deb_packages PROPERTIES LABELS unit TIMEOUT 600
  RESOURCE_LOCK simpul_build_install
  SKIP_RETURN_CODE 77)
