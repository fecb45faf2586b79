simpul_fuzz_target(fuzz_intake SOURCE ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_intake.c
  CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/fuzz_intake
  LIBS simpul_hub_core)
simpul_fuzz_target(fuzz_jsoncheck SOURCE ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_jsoncheck.c
  CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/fuzz_jsoncheck
  LIBS simpul_common)
simpul_fuzz_target(fuzz_conf SOURCE ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_conf.c
  CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/fuzz_conf
  LIBS simpul_hub_core)
simpul_fuzz_target(fuzz_casecmd SOURCE ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_casecmd.c
  CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/fuzz_casecmd
  LIBS simpul_hub_core)
