# Fuzz target for the SQL adapters' map (adapters/lib/colmap.c): config
# lines, result headers and row text from outside (a source database's
# values), and the value parsers. Seeds in tests/fuzz/corpus/fuzz_colmap/.
simpul_fuzz_target(fuzz_colmap SOURCE ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_colmap.c
  CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/fuzz_colmap
  LIBS simpul_sqlpoll)
