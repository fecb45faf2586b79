# JSON Schema validation (common/jsonschema.c) and the project's schema set
# (common/schemaset.c + schemas/*.json against tests/data/events/).
simpul_unit_test(test_jsonschema
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_jsonschema.c
  LIBS simpul_common)
simpul_unit_test(test_schemaset
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_schemaset.c
  LIBS simpul_common)

# The official JSON-Schema-Test-Suite (Debian package json-schema-test-suite)
# for draft-07: every case must pass. The test fails loudly when the suite is
# not installed rather than passing without having run anything.
set(SIMPUL_JSON_SCHEMA_SUITE /usr/share/json-schema-test-suite/tests/draft7
  CACHE PATH "draft-07 directory of the JSON-Schema-Test-Suite")
simpul_unit_test(jsonschema_conformance
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/conformance_jsonschema.c
  LIBS simpul_common
  ARGS ${SIMPUL_JSON_SCHEMA_SUITE})
