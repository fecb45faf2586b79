# simpul-loadgen: the MQTT load generator and counting subscriber used by
# the integration tests, the demo and bench-ingest. Included by
# tools/CMakeLists.txt.
#
# The sources are listed rather than globbed: tools/loadgen/ also holds the
# generator's unit test and the broker test script.
set(LOADGEN_DIR ${CMAKE_CURRENT_SOURCE_DIR}/loadgen)
add_executable(simpul-loadgen
  ${LOADGEN_DIR}/main.c
  ${LOADGEN_DIR}/evgen.c
  ${LOADGEN_DIR}/publisher.c
  ${LOADGEN_DIR}/subscriber.c)
target_link_libraries(simpul-loadgen PRIVATE simpul_common
  simpul_mqttauth PkgConfig::CJSON Threads::Threads)

# Tests. tests/CMakeLists.txt (which defines simpul_unit_test) is read after
# tools/, so these are spelled out with the same labels and layout.
add_executable(loadgen_evgen_test ${LOADGEN_DIR}/evgen_test.c
  ${LOADGEN_DIR}/evgen.c ${CMAKE_SOURCE_DIR}/tests/unit/testlib.c)
target_include_directories(loadgen_evgen_test PRIVATE
  ${CMAKE_SOURCE_DIR}/tests/unit ${LOADGEN_DIR})
target_link_libraries(loadgen_evgen_test PRIVATE simpul_common
  PkgConfig::CJSON m)
add_test(NAME loadgen_evgen COMMAND loadgen_evgen_test
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(loadgen_evgen PROPERTIES LABELS unit TIMEOUT 300)

# Against a real Mosquitto on a free loopback port: counts, ids, bad kinds,
# and no loss across a broker restart in the middle of a run.
add_test(NAME loadgen_broker
  COMMAND bash ${LOADGEN_DIR}/loadgen_test.sh)
set_tests_properties(loadgen_broker PROPERTIES LABELS integration
  TIMEOUT 600
  ENVIRONMENT "SIMPUL_BIN=${CMAKE_BINARY_DIR}/bin;SIMPUL_SRC=${CMAKE_SOURCE_DIR};SIMPUL_BUILD=${CMAKE_BINARY_DIR}")
