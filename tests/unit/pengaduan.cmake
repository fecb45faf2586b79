# The pengaduan (complaint) adapter's pure modules (adapters/pengaduan):
# the Open311 form parser and the text helpers, the service catalogue, and
# the Gammu SMSD inbox (names, encodings, joining, the watcher on a
# temporary directory).
simpul_unit_test(test_open311_form
  SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_open311_form.c
  LIBS simpul_pengaduan_core)
simpul_unit_test(test_services
  SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_services.c
  LIBS simpul_pengaduan_core)
simpul_unit_test(test_sms SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_sms.c
  LIBS simpul_pengaduan_core)
