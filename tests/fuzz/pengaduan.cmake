# Fuzz targets for the pengaduan adapter's parsers of outside input
# (adapters/pengaduan): the Open311 POST body and the Gammu SMSD inbox
# (file contents and names). Seeds in tests/fuzz/corpus/fuzz_*/.
foreach(t open311_form sms)
  simpul_fuzz_target(fuzz_${t} SOURCE ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_${t}.c
    CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/fuzz_${t}
    LIBS simpul_pengaduan_core)
endforeach()
