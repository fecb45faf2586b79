# simpul_npm_ci(): the one way the build installs npm packages, for the
# console's web libraries (console/web) and the browser tests
# (tests/browser). Included where it is used; defined once.
#
# simpul_npm_ci(NAME PACKAGE_DIR COMMENT)
#   Runs `npm ci` for PACKAGE_DIR's package.json and package-lock.json in
#   the build tree's npm/NAME (never in the source tree) whenever either
#   file changes; npm's cache makes a repeated run cost next to nothing.
#   Sets in the caller SIMPUL_NPM_MODULES (npm/NAME/node_modules) and
#   SIMPUL_NPM_STAMP (a file in it, the command's output: DEPENDS on it
#   to run after the install).
#
# Each folder keeps its own lock file and its own install: the console's
# libraries are shipped in the package, playwright-core only drives the
# tests, and one must not pin or pull in the other.
include_guard(GLOBAL)

find_program(SIMPUL_NPM npm)
if(NOT SIMPUL_NPM)
  message(FATAL_ERROR "npm not found: the console's web assets need Node.js and npm")
endif()

function(simpul_npm_ci name package_dir comment)
  set(dir ${CMAKE_BINARY_DIR}/npm/${name})
  set(stamp ${dir}/node_modules/.simpul-ci-stamp)
  # WORKING_DIRECTORY must exist before the command runs.
  file(MAKE_DIRECTORY ${dir})
  add_custom_command(OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -E copy_if_different
      ${package_dir}/package.json ${package_dir}/package-lock.json ${dir}
    COMMAND ${SIMPUL_NPM} ci --ignore-scripts --no-audit --no-fund --loglevel=error
    COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
    WORKING_DIRECTORY ${dir}
    DEPENDS ${package_dir}/package.json ${package_dir}/package-lock.json
    COMMENT "${comment}"
    VERBATIM)
  set(SIMPUL_NPM_MODULES ${dir}/node_modules PARENT_SCOPE)
  set(SIMPUL_NPM_STAMP ${stamp} PARENT_SCOPE)
endfunction()
