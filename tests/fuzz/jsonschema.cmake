# fuzz_event: arbitrary bytes -> JSON parse -> schemaset_check with the
# project's own schemas, the path every message from the broker takes.
simpul_fuzz_target(fuzz_event
  SOURCE ${CMAKE_CURRENT_LIST_DIR}/fuzz_event.c
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/fuzz_event
  LIBS simpul_common)
