# bench-router: the hub's router alone over a rule file and a file of
# events (simpul-loadgen pub --dump --dump-topics), run by hand as
# build/bin/bench-router. See docs/bench.md, "The router alone".
add_executable(bench-router ${CMAKE_CURRENT_LIST_DIR}/router.c)
target_link_libraries(bench-router PRIVATE simpul_hub_core)
