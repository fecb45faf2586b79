# Acting on cases: MQTT v5 request/response on <site>/cmd/<who>/case/<action>
# through the hub, `simpulctl case` and `simpulctl calendar`, against a real
# stack and hub (docs/case-actions.md).
simpul_integration_test(case_actions SCRIPT ${CMAKE_SOURCE_DIR}/tests/integration/test_case_actions.sh TIMEOUT 600)
