# bench-ingest: the ingest benchmark (broker ceiling, hub throughput,
# latency at a steady rate, hub memory), run by hand as build/bin/bench-ingest.
# It is a script: the source and bin directories are written into it here so
# it runs from anywhere; SIMPUL_SRC / SIMPUL_BIN in the environment override
# them. See docs/bench.md.
set(SIMPUL_BENCH_SRC ${CMAKE_SOURCE_DIR})
set(SIMPUL_BENCH_BIN ${CMAKE_BINARY_DIR}/bin)
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/ingest
  ${CMAKE_BINARY_DIR}/bin/bench-ingest @ONLY
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
    GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
