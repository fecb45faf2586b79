# Fuzz targets for the GPS protocol decoders (adapters/gps), seeded with
# real frames and requests (tests/fuzz/corpus/fuzz_*/).
foreach(t gt06 h02 osmand)
  simpul_fuzz_target(fuzz_${t} SOURCE ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_${t}.c
    CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/fuzz_${t}
    LIBS simpul_gpsproto)
endforeach()
