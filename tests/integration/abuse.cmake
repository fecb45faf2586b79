# Hostile input, abusive clients and scale-out against the real daemons
# (issue 6). idleconns holds many silent TCP connections; slowloris keeps
# HTTP requests unfinished, a byte a second.
add_executable(idleconns ${CMAKE_CURRENT_LIST_DIR}/idleconns.c)
target_link_libraries(idleconns PRIVATE simpul_common)
add_executable(slowloris ${CMAKE_CURRENT_LIST_DIR}/slowloris.c)
target_link_libraries(slowloris PRIVATE simpul_common)
simpul_integration_test(hostile_input
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/test_hostile_input.sh TIMEOUT 600)
simpul_integration_test(abusive_clients
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/test_abusive_clients.sh TIMEOUT 600)
simpul_integration_test(scaleout
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/test_scaleout.sh TIMEOUT 600)
