# fuzz_journal: recovery of an arbitrary segment file (hub/journal.c).
# Compiles the journal directly, like tests/unit/journal.cmake.
simpul_fuzz_target(fuzz_journal
  SOURCE ${CMAKE_CURRENT_LIST_DIR}/fuzz_journal.c
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/fuzz_journal
  LIBS simpul_common Threads::Threads)
target_sources(fuzz_journal PRIVATE ${CMAKE_SOURCE_DIR}/hub/journal.c)
target_include_directories(fuzz_journal PRIVATE ${CMAKE_SOURCE_DIR}/hub)
