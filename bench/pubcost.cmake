# bench-pubcost: CPU per QoS 1 publish through Paho MQTTAsync and through
# the relay's libmosquitto link, on a private Mosquitto; run by hand as
# build/bin/bench-pubcost. See docs/bench.md, "The relay's connection".
add_executable(bench-pubcost ${CMAKE_CURRENT_LIST_DIR}/pubcost.c)
target_link_libraries(bench-pubcost PRIVATE simpul_hub_core)
