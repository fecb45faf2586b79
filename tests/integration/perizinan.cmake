# Integration test of the perizinan adapter (adapters/perizinan,
# simpul-perizinan) end to end: a real Mosquitto, PostgreSQL and hub, and
# fake_sicantik, a small C stand-in for SiCantik's API (paging, ETag and
# Last-Modified, and scripted 500s, slow answers and malformed pages).
add_executable(fake_sicantik ${CMAKE_CURRENT_LIST_DIR}/fake_sicantik.c)
target_link_libraries(fake_sicantik PRIVATE simpul_common PkgConfig::CJSON
  PkgConfig::MHD Threads::Threads)
simpul_integration_test(perizinan
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/test_perizinan.sh TIMEOUT 600)
