# bench-gps: simpul-gps under 5,000 simulated GT06 trackers (positions/s
# sustained, CPU per 1,000 positions, peak RSS), run by hand as
# build/bin/bench-gps. bench-gps-load is the tracker simulator it drives
# (one process, one epoll set). The script gets the source and bin
# directories written in, like bench-ingest. See docs/gps-adapter.md.
add_executable(bench-gps-load ${CMAKE_CURRENT_LIST_DIR}/gps.c)
target_link_libraries(bench-gps-load PRIVATE simpul_gpsproto)
set(SIMPUL_BENCH_SRC ${CMAKE_SOURCE_DIR})
set(SIMPUL_BENCH_BIN ${CMAKE_BINARY_DIR}/bin)
configure_file(${CMAKE_CURRENT_LIST_DIR}/gps
  ${CMAKE_BINARY_DIR}/bin/bench-gps @ONLY
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
    GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
