# Routing rules, cases and escalation end to end, against a real Mosquitto,
# PostgreSQL and simpul-hub (tests/integration/lib.sh starts the stack).
simpul_integration_test(rules_e2e SCRIPT ${CMAKE_SOURCE_DIR}/tests/integration/test_rules_e2e.sh TIMEOUT 600)
simpul_integration_test(escalation SCRIPT ${CMAKE_SOURCE_DIR}/tests/integration/test_escalation.sh TIMEOUT 600)
simpul_integration_test(two_hubs SCRIPT ${CMAKE_SOURCE_DIR}/tests/integration/test_two_hubs.sh TIMEOUT 600)
