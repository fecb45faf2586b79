# The SQL adapters end to end (adapters/lib/sqlpoll.c over the PostgreSQL
# ODBC driver, a source database in a second stack, the real hub):
# simpul-sp2d (row and history modes, reconciliation, source outage,
# SIGKILL) and simpul-simda (realisation view, lookups, refused amounts,
# a column of the wrong type, outage, SIGKILL).
simpul_integration_test(test_sp2d
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/test_sp2d.sh TIMEOUT 600)
simpul_integration_test(test_simda
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/test_simda.sh TIMEOUT 600)
