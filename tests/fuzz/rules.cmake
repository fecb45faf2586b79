# Fuzz targets of the routing rules' parsers: the predicate language
# (hub/expr.c) and MQTT topic filters (common/topic.c). fuzz_expr compiles
# hub/expr.c itself rather than linking simpul_hub_core, so it does not
# depend on the rest of the hub.
simpul_fuzz_target(fuzz_expr
  SOURCE ${CMAKE_CURRENT_LIST_DIR}/fuzz_expr.c
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/fuzz_expr
  LIBS simpul_common)
target_sources(fuzz_expr PRIVATE ${CMAKE_SOURCE_DIR}/hub/expr.c)
target_include_directories(fuzz_expr PRIVATE ${CMAKE_SOURCE_DIR}/hub)

simpul_fuzz_target(fuzz_topic
  SOURCE ${CMAKE_CURRENT_LIST_DIR}/fuzz_topic.c
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/fuzz_topic
  LIBS simpul_common)
