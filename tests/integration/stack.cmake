# The local stack (deploy/stack) and the integration test library
# (tests/integration/lib.sh): two concurrent stacks, restarts, persistence.
simpul_integration_test(stack
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/test_stack.sh
  TIMEOUT 300)
