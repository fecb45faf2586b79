# Unit tests of simpul-console's pure modules (console/param.c,
# console/policy.c): query values, cookies, JSON bodies, the role matrix,
# the CSRF and Origin decision.
simpul_unit_test(test_console
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_console.c
  LIBS simpul_console_core)
