# The MQTT clients' shared broker settings (common/mqttconf.c): password
# sources, password files, TLS file checks.
simpul_unit_test(test_mqttconf SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_mqttconf.c
  LIBS simpul_common)
