# bench-sqlpoll: simpul-sp2d reading a 1,000,000-row SPPiDOL table through
# ODBC into broker-acknowledged events (rows/s, CPU, peak RSS), run by hand
# as build/bin/bench-sqlpoll. A script, with the source and bin
# directories written in like bench-ingest. See docs/sql-adapters.md.
set(SIMPUL_BENCH_SRC ${CMAKE_SOURCE_DIR})
set(SIMPUL_BENCH_BIN ${CMAKE_BINARY_DIR}/bin)
configure_file(${CMAKE_CURRENT_LIST_DIR}/sqlpoll
  ${CMAKE_BINARY_DIR}/bin/bench-sqlpoll @ONLY
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
    GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
