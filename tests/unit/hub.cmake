# Unit tests of the hub's own modules and the common config/util helpers.
simpul_unit_test(test_jsoncheck SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_jsoncheck.c
  LIBS simpul_common)
simpul_unit_test(test_conf SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_conf.c
  LIBS simpul_common)
simpul_unit_test(test_intake SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_intake.c
  LIBS simpul_hub_core)
simpul_unit_test(test_hub_config SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_hub_config.c
  LIBS simpul_hub_core)
# The documented example config is generated from the key table; it must
# not drift from it (regenerate with: build/bin/simpul-hub -D > deploy/hub.conf.example).
add_test(NAME hub_conf_example
  COMMAND sh -c "$<TARGET_FILE:simpul-hub> -D | diff -u ${CMAKE_SOURCE_DIR}/deploy/hub.conf.example -")
set_tests_properties(hub_conf_example PROPERTIES LABELS unit)
simpul_unit_test(test_casecmd SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_casecmd.c
  LIBS simpul_hub_core)
