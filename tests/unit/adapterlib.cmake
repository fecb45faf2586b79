# Unit tests of adapters/lib: UUIDs (RFC 9562 vectors, v7 ordering), the
# CloudEvents builder, and the crash-safe checkpoint. They need no broker.
simpul_unit_test(test_uuid
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_uuid.c
  LIBS simpul_adapter)
simpul_unit_test(test_cloudevent
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cloudevent.c
  LIBS simpul_adapter)
simpul_unit_test(test_checkpoint
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_checkpoint.c
  LIBS simpul_adapter)
# The daemon skeleton: command line, joined config tables, schema check
# before publish, shutdown with an unreachable broker (no broker needed).
simpul_unit_test(test_adapter
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_adapter.c
  LIBS simpul_adapter)
