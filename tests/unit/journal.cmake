# test_journal: the hub's write-ahead journal (hub/journal.c).
# The journal depends only on simpul_common, so the test compiles it
# directly instead of linking simpul_hub_core: it builds (and runs) without
# Paho, libpq or the other hub modules.
simpul_unit_test(test_journal
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_journal.c
          ${CMAKE_SOURCE_DIR}/hub/journal.c
  LIBS simpul_common Threads::Threads)
target_include_directories(test_journal PRIVATE ${CMAKE_SOURCE_DIR}/hub)
