# simpulctl's database commands (migrate, health, events, dlq) against a
# real stack and hub.
simpul_integration_test(ctl SCRIPT ${CMAKE_SOURCE_DIR}/tests/integration/test_ctl.sh TIMEOUT 600)
