# The PostgreSQL roles of deploy/postgres-roles.sql (simpul_admin, simpul_hub,
# simpul_console, simpul_read) with the real hub and console running as them.
simpul_integration_test(pg_roles SCRIPT ${CMAKE_CURRENT_LIST_DIR}/test_pg_roles.sh TIMEOUT 600)
