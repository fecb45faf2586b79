# Integration test of the SQL twins of cases (hub/migrations/0002_cases.sql)
# against the C code on a real PostgreSQL: simpul_deadline() against
# workcal_deadline(), simpul_sla_parse() against sla_parse(), and
# case_transition_rule against hub/casefsm.c. workcal_cli is the small
# program that prints what the C side computes; it compiles hub/casefsm.c
# itself so that it does not need the rest of the hub.
add_executable(workcal_cli ${CMAKE_CURRENT_LIST_DIR}/workcal_cli.c
  ${CMAKE_SOURCE_DIR}/hub/casefsm.c)
target_include_directories(workcal_cli PRIVATE ${CMAKE_SOURCE_DIR}/hub)
target_link_libraries(workcal_cli PRIVATE simpul_common)
simpul_integration_test(cases_sql
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/test_cases_sql.sh TIMEOUT 600)
