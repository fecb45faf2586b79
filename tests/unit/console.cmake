# Unit tests of simpul-console's pure modules (console/param.c,
# console/policy.c, console/filecache.c): query values, API paths,
# cookies, JSON bodies, the role matrix, the CSRF and Origin decision, the
# GeoJSON files' cache.
simpul_unit_test(test_console
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_console.c
  LIBS simpul_console_core)
