# Integration test of the adapters' MQTT publisher (adapters/lib/publisher.c)
# against a real Mosquitto: delivery, buffering while the broker is down,
# and survival of accepted messages across a SIGKILL of the adapter.
# pubtest is the small driver program the script runs.
add_executable(pubtest ${CMAKE_CURRENT_LIST_DIR}/pubtest.c)
target_link_libraries(pubtest PRIVATE simpul_adapter)
simpul_integration_test(test_publisher
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/test_publisher.sh TIMEOUT 600)
