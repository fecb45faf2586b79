# Fuzz targets of simpul-console's parsers of browser input
# (console/param.c): query-string values, JSON request bodies, the Cookie
# header.
foreach(t query body cookie)
  simpul_fuzz_target(fuzz_console_${t}
    SOURCE ${CMAKE_CURRENT_LIST_DIR}/fuzz_console_${t}.c
    CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/fuzz_console_${t}
    LIBS simpul_console_core)
endforeach()
