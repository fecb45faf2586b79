# Broker security: deploy/broker-setup (CA, certificates, passwords, ACLs)
# and "deploy/stack up --secure", checked with mosquitto clients.
simpul_integration_test(broker_security
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/test_broker_security.sh
  TIMEOUT 300)
