# The /metrics and /healthz endpoint shared by the hub and the adapters
# (common/httpd.c) and the Prometheus text writer (common/prom.c).
simpul_unit_test(test_prom SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_prom.c
  LIBS simpul_common)
# Real loopback sockets on a port the kernel picks; a few seconds of
# deadlines (slow loris, full connection table).
simpul_unit_test(test_httpd SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_httpd.c
  LIBS simpul_common)
