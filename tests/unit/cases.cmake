# Unit tests of cases: working-day SLA arithmetic (common/workcal.c) and the
# case state machine (hub/casefsm.c). test_casefsm compiles hub/casefsm.c
# itself instead of linking simpul_hub_core: the state machine is pure and
# should not need libpq or Paho to be tested.
simpul_unit_test(test_workcal
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_workcal.c
  LIBS simpul_common)

simpul_unit_test(test_casefsm
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_casefsm.c ${CMAKE_SOURCE_DIR}/hub/casefsm.c
  LIBS simpul_common)
target_include_directories(test_casefsm PRIVATE ${CMAKE_SOURCE_DIR}/hub)
