# The router's indexes against the linear reference (hub/router.c).
simpul_unit_test(test_router
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_router.c
  LIBS simpul_hub_core)
