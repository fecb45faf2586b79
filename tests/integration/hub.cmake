simpul_integration_test(hub_ingest SCRIPT ${CMAKE_SOURCE_DIR}/tests/integration/test_hub_ingest.sh TIMEOUT 900)
simpul_integration_test(hub_crash SCRIPT ${CMAKE_SOURCE_DIR}/tests/integration/test_hub_crash.sh TIMEOUT 900)
simpul_integration_test(hub_outages SCRIPT ${CMAKE_SOURCE_DIR}/tests/integration/test_hub_outages.sh TIMEOUT 900)
