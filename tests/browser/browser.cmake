# End-to-end browser tests of simpul-console (tests/browser): Node with
# playwright-core from npm (pinned by this folder's package-lock.json,
# installed by `npm ci` into the build tree when the lock changes) driving
# Debian's chromium (deploy/debian-packages.txt) headless, against a real
# stack, hub, GPS adapter and console. Labels: integration and browser
# (ctest -L browser runs only this one).
if(NOT SIMPUL_NPM)
  find_program(SIMPUL_NPM npm REQUIRED)
endif()
set(browser_npm ${CMAKE_BINARY_DIR}/npm/browser-tests)
set(browser_stamp ${browser_npm}/node_modules/.simpul-ci-stamp)
file(MAKE_DIRECTORY ${browser_npm})
add_custom_command(OUTPUT ${browser_stamp}
  COMMAND ${CMAKE_COMMAND} -E copy_if_different
    ${CMAKE_CURRENT_LIST_DIR}/package.json
    ${CMAKE_CURRENT_LIST_DIR}/package-lock.json ${browser_npm}
  COMMAND ${SIMPUL_NPM} ci --ignore-scripts --no-audit --no-fund --loglevel=error
  COMMAND ${CMAKE_COMMAND} -E touch ${browser_stamp}
  WORKING_DIRECTORY ${browser_npm}
  DEPENDS ${CMAKE_CURRENT_LIST_DIR}/package.json
    ${CMAKE_CURRENT_LIST_DIR}/package-lock.json
  COMMENT "npm ci for the browser tests (playwright-core)"
  VERBATIM)
add_custom_target(browser_test_deps ALL DEPENDS ${browser_stamp})

simpul_integration_test(console_browser
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/test_console.sh TIMEOUT 600)
set_property(TEST console_browser APPEND PROPERTY LABELS browser)
set_property(TEST console_browser APPEND PROPERTY ENVIRONMENT
  "SIMPUL_WEB_DIR=${SIMPUL_WEB_DIR}"
  "BROWSER_NODE_MODULES=${browser_npm}/node_modules")
