# GPS protocol decoders (adapters/gps): GT06/Concox, H02, OsmAnd.
# The tests read their real frames from tests/data/gps/ (see SOURCE.md).
# gpsdata.c reads those files for all three.
simpul_unit_test(test_gt06 SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_gt06.c
  ${CMAKE_SOURCE_DIR}/tests/unit/gpsdata.c LIBS simpul_gpsproto)
simpul_unit_test(test_h02 SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_h02.c
  ${CMAKE_SOURCE_DIR}/tests/unit/gpsdata.c LIBS simpul_gpsproto)
simpul_unit_test(test_osmand SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_osmand.c
  ${CMAKE_SOURCE_DIR}/tests/unit/gpsdata.c LIBS simpul_gpsproto)
