# End-to-end browser tests of simpul-console (tests/browser): Node with
# playwright-core from npm (pinned by this folder's package-lock.json,
# installed by `npm ci` into the build tree when the lock changes) driving
# Debian's chromium (deploy/debian-packages.txt) headless, against a real
# stack, hub, GPS adapter and console. Labels: integration and browser
# (ctest -L browser runs only this one).
include(${CMAKE_SOURCE_DIR}/cmake/npm.cmake)
simpul_npm_ci(browser-tests ${CMAKE_CURRENT_LIST_DIR}
  "npm ci for the browser tests (playwright-core)")
add_custom_target(browser_test_deps ALL DEPENDS ${SIMPUL_NPM_STAMP})

simpul_integration_test(console_browser
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/test_console.sh TIMEOUT 600)
set_property(TEST console_browser APPEND PROPERTY LABELS browser)
set_property(TEST console_browser APPEND PROPERTY ENVIRONMENT
  "SIMPUL_WEB_DIR=${SIMPUL_WEB_DIR}"
  "BROWSER_NODE_MODULES=${SIMPUL_NPM_MODULES}")
