# The perizinan (SiCantik) adapter's pure modules (adapters/perizinan):
# the page parser with its status table, times and watermark (and its
# events against the real schemas, through the adapter library's
# CloudEvents builder); HMAC-SHA256 (RFC 4231) and the webhook signature
# scheme; the replay cache.
simpul_unit_test(test_permit_page
  SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_permit_page.c
  LIBS simpul_perizinan_core simpul_adapter)
simpul_unit_test(test_signature
  SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_signature.c
  LIBS simpul_perizinan_core)
simpul_unit_test(test_replay
  SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_replay.c
  LIBS simpul_perizinan_core)
