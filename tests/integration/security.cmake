# Broker security: deploy/broker-setup (CA, certificates, passwords, ACLs)
# and the default, secure "deploy/stack up", checked with mosquitto clients.
simpul_integration_test(broker_security
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/test_broker_security.sh
  TIMEOUT 300)

# The real daemons (hub, GPS adapter, loadgen, simpulctl) against the
# default, secure stack: OPD spoofing by topic and by envelope, anonymous
# and plain-TCP clients, an operator's commands, a wrong CA, a client
# certificate from another CA.
simpul_integration_test(secure_daemons
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/test_secure_daemons.sh
  TIMEOUT 300)
