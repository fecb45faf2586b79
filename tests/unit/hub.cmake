# Unit tests of the hub's own modules and the common config/util helpers.
simpul_unit_test(test_jsoncheck SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_jsoncheck.c
  LIBS simpul_common)
simpul_unit_test(test_conf SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_conf.c
  LIBS simpul_common)
simpul_unit_test(test_intake SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_intake.c
  LIBS simpul_hub_core)
simpul_unit_test(test_hub_config SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_hub_config.c
  LIBS simpul_hub_core)
