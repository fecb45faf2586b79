# Fuzz target of the SLA duration parser and the working-time deadlines
# computed from it (common/workcal.c). SLA policies come from rule files and
# simpulctl, i.e. from outside.
simpul_fuzz_target(fuzz_duration
  SOURCE ${CMAKE_CURRENT_LIST_DIR}/fuzz_duration.c
  CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/fuzz_duration
  LIBS simpul_common)
