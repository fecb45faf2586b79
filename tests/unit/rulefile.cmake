# Unit tests of the rule files: the rule model and YAML loader
# (hub/rules.c), and the topic/text templates (hub/template.c). The tests
# compile these modules and hub/expr.c themselves rather than linking
# simpul_hub_core, so they do not depend on the rest of the hub.
simpul_unit_test(test_rules
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_rules.c ${CMAKE_SOURCE_DIR}/hub/rules.c
    ${CMAKE_SOURCE_DIR}/hub/template.c ${CMAKE_SOURCE_DIR}/hub/expr.c
  LIBS simpul_common PkgConfig::YAML)
target_include_directories(test_rules PRIVATE ${CMAKE_SOURCE_DIR}/hub)

simpul_unit_test(test_template
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_template.c
    ${CMAKE_SOURCE_DIR}/hub/template.c ${CMAKE_SOURCE_DIR}/hub/expr.c
  LIBS simpul_common)
target_include_directories(test_template PRIVATE ${CMAKE_SOURCE_DIR}/hub)
