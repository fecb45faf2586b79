# bench-rules: ingest with 0, 100 and 1,000 routing rules against the broker
# ceiling, and the escalation scan with 10,000 and 1,000,000 open cases; run
# by hand as build/bin/bench-rules. A script, like bench-ingest: the source
# and bin directories are written into it here (SIMPUL_SRC / SIMPUL_BIN in
# the environment override them). See docs/bench.md, "Rules benchmark".
set(SIMPUL_BENCH_SRC ${CMAKE_SOURCE_DIR})
set(SIMPUL_BENCH_BIN ${CMAKE_BINARY_DIR}/bin)
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/rules
  ${CMAKE_BINARY_DIR}/bin/bench-rules @ONLY
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
    GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
