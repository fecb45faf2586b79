# cmake/packaging.cmake: what `cmake --install` and `cpack -G DEB` ship.
# Included last from the top CMakeLists.txt, when every target exists.
#
# Four components, one Debian package each:
#
#   simpul-common    the JSON Schemas (/usr/share/simpul/schemas), the
#                    simpul system user (sysusers.d) and its directories
#                    (tmpfiles.d); every other package depends on it
#   simpul-hub       simpul-hub (the SQL migrations are built into it), its
#                    systemd unit, man page, example config and rule set,
#                    deploy/postgres-roles.sql and INSTALL.md
#   simpul-adapters  every adapter daemon (simpul-<name> for each
#                    adapters/<name>/), the unit template
#                    simpul-adapter@.service with its drop-ins, man pages,
#                    example configs (written by each daemon's -D at build
#                    time, so they cannot drift)
#   simpul-tools     simpulctl, simpul-loadgen, simpul-broker-setup
#                    (deploy/broker-setup) with clients.example
#   simpul-console   simpul-console, its web pages (console/web), systemd
#                    unit, man page and example config
#
# Build the packages from a build tree configured for /usr, because the
# daemons look for the schemas in SIMPUL_DATADIR, which is derived from
# CMAKE_INSTALL_PREFIX at compile time:
#
#   cmake -S . -B build-pkg -DCMAKE_INSTALL_PREFIX=/usr -DSIMPUL_TESTS=OFF
#   cmake --build build-pkg -j2
#   (cd build-pkg && cpack -G DEB)
#
# cpack refuses a tree configured for another prefix (see the project
# config file below). Run-time library dependencies come from
# dpkg-shlibdeps (package dpkg-dev).

# common/httpd.c (the /metrics and /healthz endpoint of the hub and of every
# adapter) is the one module of simpul_common that needs libmicrohttpd.

include(GNUInstallDirs)

set(SIMPUL_UNITDIR lib/systemd/system)
set(SIMPUL_PKG_WORK ${CMAKE_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${SIMPUL_PKG_WORK}/man ${SIMPUL_PKG_WORK}/examples
  ${SIMPUL_PKG_WORK}/deb)

# --- which daemons exist ---------------------------------------------------

# An adapter is a folder adapters/<name>/ with a CMakeLists.txt that builds
# simpul-<name> (adapters/CMakeLists.txt adds the same folders).
set(SIMPUL_ADAPTER_NAMES)
file(GLOB _simpul_adapter_dirs LIST_DIRECTORIES true
  ${CMAKE_SOURCE_DIR}/adapters/*)
foreach(_dir ${_simpul_adapter_dirs})
  get_filename_component(_name ${_dir} NAME)
  if(IS_DIRECTORY ${_dir} AND EXISTS ${_dir}/CMakeLists.txt
      AND TARGET simpul-${_name})
    list(APPEND SIMPUL_ADAPTER_NAMES ${_name})
  endif()
endforeach()
list(SORT SIMPUL_ADAPTER_NAMES)

# --- binaries ----------------------------------------------------------------

install(TARGETS simpul-hub RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  COMPONENT hub)
foreach(_name ${SIMPUL_ADAPTER_NAMES})
  install(TARGETS simpul-${_name} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    COMPONENT adapters)
endforeach()
install(TARGETS simpul-console RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  COMPONENT console)
foreach(_tool simpulctl simpul-loadgen)
  if(TARGET ${_tool})
    install(TARGETS ${_tool} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
      COMPONENT tools)
  endif()
endforeach()

# The broker's TLS set-up (INSTALL.md section 5) runs on the broker host,
# from the package like everything else the guide runs.
install(PROGRAMS ${CMAKE_SOURCE_DIR}/deploy/broker-setup
  DESTINATION ${CMAKE_INSTALL_SBINDIR} RENAME simpul-broker-setup
  COMPONENT tools)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/clients.example
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/simpul-tools/examples
  COMPONENT tools)

# --- data, units, sysusers, tmpfiles -----------------------------------------

install(DIRECTORY ${CMAKE_SOURCE_DIR}/schemas/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/simpul/schemas
  COMPONENT common FILES_MATCHING PATTERN "*.json")
install(FILES ${CMAKE_SOURCE_DIR}/deploy/systemd/simpul.sysusers
  DESTINATION lib/sysusers.d RENAME simpul.conf COMPONENT common)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/systemd/simpul.tmpfiles
  DESTINATION lib/tmpfiles.d RENAME simpul.conf COMPONENT common)

install(FILES ${CMAKE_SOURCE_DIR}/deploy/systemd/simpul-hub.service
  DESTINATION ${SIMPUL_UNITDIR} COMPONENT hub)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/systemd/simpul-adapter@.service
  DESTINATION ${SIMPUL_UNITDIR} COMPONENT adapters)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/systemd/simpul-console.service
  DESTINATION ${SIMPUL_UNITDIR} COMPONENT console)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/console.conf.example
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/simpul-console/examples
  COMPONENT console)
# Drop-ins of the template's instances: simpul-adapter@<name>.service.d/.
file(GLOB _simpul_dropin_dirs LIST_DIRECTORIES true
  ${CMAKE_SOURCE_DIR}/deploy/systemd/simpul-adapter@*.service.d)
foreach(_dir ${_simpul_dropin_dirs})
  install(DIRECTORY ${_dir} DESTINATION ${SIMPUL_UNITDIR}
    COMPONENT adapters FILES_MATCHING PATTERN "*.conf")
endforeach()

install(FILES ${CMAKE_SOURCE_DIR}/deploy/postgres-roles.sql
  DESTINATION ${CMAKE_INSTALL_DATADIR}/simpul COMPONENT hub)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/INSTALL.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/simpul-hub COMPONENT hub)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/hub.conf.example
  ${CMAKE_SOURCE_DIR}/deploy/rules/karo.yaml
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/simpul-hub/examples COMPONENT hub)

# --- man pages (gzip -n: reproducible, as Debian wants them) -----------------

set(_simpul_man_outputs)
file(GLOB _simpul_man_pages ${CMAKE_SOURCE_DIR}/deploy/man/*.[1-8])
foreach(_page ${_simpul_man_pages})
  get_filename_component(_base ${_page} NAME)
  string(REGEX REPLACE "^.*\\.([1-8])$" "\\1" _section ${_base})
  string(REGEX REPLACE "\\.[1-8]$" "" _cmd ${_base})
  set(_gz ${SIMPUL_PKG_WORK}/man/${_base}.gz)
  add_custom_command(OUTPUT ${_gz}
    COMMAND gzip -9nc ${_page} > ${_gz}
    DEPENDS ${_page} VERBATIM)
  list(APPEND _simpul_man_outputs ${_gz})
  if(_cmd STREQUAL "simpul-hub")
    set(_component hub)
  elseif(_cmd STREQUAL "simpul-console")
    set(_component console)
  elseif(_cmd MATCHES "^simpul-(.*)$" AND CMAKE_MATCH_1 IN_LIST SIMPUL_ADAPTER_NAMES)
    set(_component adapters)
  else()
    set(_component tools)
  endif()
  install(FILES ${_gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${_section}
    COMPONENT ${_component})
endforeach()

# --- adapter example configs, from each daemon's -D --------------------------

set(_simpul_examples)
foreach(_name ${SIMPUL_ADAPTER_NAMES})
  set(_ex ${SIMPUL_PKG_WORK}/examples/simpul-${_name}.conf.example)
  add_custom_command(OUTPUT ${_ex}
    COMMAND $<TARGET_FILE:simpul-${_name}> -D > ${_ex}
    DEPENDS simpul-${_name} VERBATIM)
  list(APPEND _simpul_examples ${_ex})
endforeach()
if(_simpul_examples)
  install(FILES ${_simpul_examples}
    DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/simpul-adapters/examples
    COMPONENT adapters)
endif()
add_custom_target(simpul-packaging-files ALL
  DEPENDS ${_simpul_man_outputs} ${_simpul_examples})

# --- Debian maintainer scripts -------------------------------------------------

# simpul_deb_scripts(COMPONENT PACKAGE SYSUSERS UNITS UNIT_LINKS)
function(simpul_deb_scripts comp pkg sysusers units links)
  set(PKG ${pkg})
  set(SYSUSERS ${sysusers})
  set(UNITS ${units})
  set(UNIT_LINKS ${links})
  set(out ${SIMPUL_PKG_WORK}/deb/${comp})
  file(MAKE_DIRECTORY ${out})
  foreach(script postinst prerm postrm)
    configure_file(${CMAKE_SOURCE_DIR}/deploy/deb/${script}.in
      ${out}/${script} @ONLY
      FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
      GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  endforeach()
  string(TOUPPER ${comp} up)
  set(CPACK_DEBIAN_${up}_PACKAGE_CONTROL_EXTRA
    ${out}/postinst ${out}/prerm ${out}/postrm PARENT_SCOPE)
endfunction()
simpul_deb_scripts(common simpul-common yes "" "")
simpul_deb_scripts(hub simpul-hub no "simpul-hub.service" "simpul-hub.service")
# Quoted: the maintainer script must pass the pattern to systemctl.
simpul_deb_scripts(adapters simpul-adapters no "'simpul-adapter@*.service'"
  "simpul-adapter@*.service")
simpul_deb_scripts(tools simpul-tools no "" "")
simpul_deb_scripts(console simpul-console no "simpul-console.service"
  "simpul-console.service")

# --- CPack ---------------------------------------------------------------------

set(CPACK_PACKAGE_NAME simpul)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Command Centre, Kabupaten Karo")
set(CPACK_PACKAGE_CONTACT "Simpul maintainers <simpul@karokab.go.id>")
# No CPACK_PACKAGE_DESCRIPTION_SUMMARY: CPackDeb would put it before each
# package's own synopsis (the first line of CPACK_DEBIAN_<C>_DESCRIPTION).
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL common hub adapters tools console)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_COMMON_PACKAGE_NAME simpul-common)
set(CPACK_DEBIAN_COMMON_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_COMMON_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_COMMON_DESCRIPTION "Simpul event bus: schemas and system user
The JSON Schemas of the CloudEvents on the bus, and the simpul system
user and directories that the hub and the adapters run with.")

set(CPACK_DEBIAN_HUB_PACKAGE_NAME simpul-hub)
set(CPACK_DEBIAN_HUB_PACKAGE_SUGGESTS "postgresql, mosquitto")
set(CPACK_COMPONENT_HUB_DEPENDS common)
set(CPACK_DEBIAN_HUB_DESCRIPTION "Simpul event bus: the hub daemon
Validates the CloudEvents on MQTT against their JSON Schemas, stores
them in PostgreSQL exactly once (journal before acknowledgement), routes
them by rules, runs cases with working-day SLA clocks and escalation.")

set(CPACK_DEBIAN_ADAPTERS_PACKAGE_NAME simpul-adapters)
set(CPACK_COMPONENT_ADAPTERS_DEPENDS common)
string(REPLACE ";" ", simpul-" _simpul_adapter_list "${SIMPUL_ADAPTER_NAMES}")
set(CPACK_DEBIAN_ADAPTERS_DESCRIPTION "Simpul event bus: the adapter daemons
Daemons that publish the events of their sources on the bus:
simpul-${_simpul_adapter_list}.
Each runs as the systemd unit simpul-adapter@NAME.")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME simpul-tools)
set(CPACK_COMPONENT_TOOLS_DEPENDS common)
# simpul-broker-setup runs openssl, and mosquitto_passwd on the broker host.
set(CPACK_DEBIAN_TOOLS_PACKAGE_RECOMMENDS "openssl")
set(CPACK_DEBIAN_TOOLS_PACKAGE_SUGGESTS "mosquitto")
set(CPACK_DEBIAN_TOOLS_DESCRIPTION "Simpul event bus: simpulctl, simpul-loadgen, simpul-broker-setup
simpulctl administers rules, cases, dead letters, the holiday calendar
and migrations; simpul-loadgen publishes test load; simpul-broker-setup
makes the broker's CA, certificates, passwords, ACL and TLS listeners.")

set(CPACK_DEBIAN_CONSOLE_PACKAGE_NAME simpul-console)
set(CPACK_DEBIAN_CONSOLE_PACKAGE_SUGGESTS "simpul-hub, simpul-tools")
set(CPACK_COMPONENT_CONSOLE_DEPENDS common)
set(CPACK_DEBIAN_CONSOLE_DESCRIPTION "Simpul event bus: the operator console
A web console for the command centre over the hub's database: live
events, the case queue with working-time SLA countdowns, case actions by
role, vehicles on a map, dead letters, shift handover and SLA compliance.
Users are managed with simpulctl user (simpul-tools).")

# cpack reads this at packaging time: refuse a tree built for another
# prefix, whose daemons would look for their schemas in the wrong place.
set(CPACK_PROJECT_CONFIG_FILE ${SIMPUL_PKG_WORK}/cpack-project.cmake)
# (tests/unit/test_packages.sh lays out packages from an ordinary build tree
# with -D SIMPUL_PACKAGE_ANY_PREFIX=ON: it checks the layout, not the
# binaries' built-in paths.)
file(WRITE ${CPACK_PROJECT_CONFIG_FILE}
  "if(CPACK_GENERATOR STREQUAL \"DEB\" AND NOT SIMPUL_PACKAGE_ANY_PREFIX\n"
  "    AND NOT \"${CMAKE_INSTALL_PREFIX}\" STREQUAL \"/usr\")\n"
  "  message(FATAL_ERROR \"simpul: this build tree was configured with "
  "CMAKE_INSTALL_PREFIX=${CMAKE_INSTALL_PREFIX}; Debian packages need "
  "-DCMAKE_INSTALL_PREFIX=/usr (the daemons find their schemas in "
  "<prefix>/share/simpul)\")\n"
  "endif()\n")

include(CPack)
