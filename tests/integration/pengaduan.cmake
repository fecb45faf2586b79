# simpul-pengaduan end to end against the stack and a real hub: Open311
# requests and errors, status from cases, SMS files, crashes.
simpul_integration_test(pengaduan SCRIPT ${CMAKE_SOURCE_DIR}/tests/integration/test_pengaduan.sh TIMEOUT 600)
