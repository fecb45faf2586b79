# fuzz_rules_yaml: arbitrary bytes as a rule file (hub/rules.c with libyaml,
# hub/template.c, hub/expr.c), then the JSON round trip of every rule that
# loads. Compiles the modules itself, like tests/unit/rulefile.cmake.
simpul_fuzz_target(fuzz_rules_yaml
  SOURCE ${CMAKE_CURRENT_LIST_DIR}/fuzz_rules_yaml.c
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/fuzz_rules_yaml
  LIBS simpul_common PkgConfig::YAML)
target_sources(fuzz_rules_yaml PRIVATE ${CMAKE_SOURCE_DIR}/hub/rules.c
  ${CMAKE_SOURCE_DIR}/hub/template.c ${CMAKE_SOURCE_DIR}/hub/expr.c)
target_include_directories(fuzz_rules_yaml PRIVATE ${CMAKE_SOURCE_DIR}/hub)
