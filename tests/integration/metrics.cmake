# /metrics and /healthz of the hub and the GPS adapter against a real stack,
# with the PostgreSQL roles of deploy/postgres-roles.sql.
simpul_integration_test(metrics SCRIPT ${CMAKE_CURRENT_LIST_DIR}/test_metrics.sh TIMEOUT 600)
