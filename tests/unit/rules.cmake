# Unit tests of the routing rules' building blocks: MQTT topic filters and
# the index (common/topic.c), and the predicate language (hub/expr.c).
# test_expr compiles hub/expr.c itself instead of linking simpul_hub_core,
# so it does not depend on the rest of the hub (libpq, Paho, ...).
simpul_unit_test(test_topic
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_topic.c
  LIBS simpul_common)

simpul_unit_test(test_expr
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_expr.c ${CMAKE_SOURCE_DIR}/hub/expr.c
  LIBS simpul_common)
target_include_directories(test_expr PRIVATE ${CMAKE_SOURCE_DIR}/hub)
