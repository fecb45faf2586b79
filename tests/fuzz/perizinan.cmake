# Fuzz target for the perizinan adapter's parser of SiCantik's bytes
# (adapters/perizinan/page): API pages, webhook bodies, watermarks.
# Seeds in tests/fuzz/corpus/fuzz_permit_page/.
simpul_fuzz_target(fuzz_permit_page
  SOURCE ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_permit_page.c
  CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/fuzz_permit_page
  LIBS simpul_perizinan_core)
