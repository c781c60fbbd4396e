# Layers point down (docs/architecture.md): reads every header under include/embedkit and fails,
# naming the file and the include, when one includes a header of a layer above its own.
#   cmake -DINCLUDE_DIR=<repo>/include/embedkit -P layering_check.cmake

# The folders (or files) each folder may not include.
set(forbidden_detail "core/;text/;train/;updates/;models/;losses/;search/;eval/;io/;mpi/;hnsw/")
set(forbidden_core "train/;updates/;models/;losses/;search/;eval/;io/;mpi/;hnsw/")
set(forbidden_text "core/;train/;updates/;models/;losses/;search/;eval/;io/;mpi/;hnsw/")
set(forbidden_losses "train/;updates/;models/;search/;eval/;io/;mpi/;hnsw/")
set(forbidden_train "updates/;models/;losses/;search/;eval/;io/;mpi/;hnsw/")
set(forbidden_updates "models/;search/;eval/;io/;mpi/;hnsw/")
set(forbidden_models "search/;eval/;io/;mpi/;hnsw/")
set(forbidden_io "train/;updates/;models/;losses/;search/;eval/;mpi/;hnsw/")
set(forbidden_search "train/;updates/;models/;io/;mpi/;hnsw/")
set(forbidden_eval "train/;updates/;models/;io/;mpi/;hnsw/")
# mpi/ (the optional distributed part) trains models across ranks: it may include models/ and
# anything below; nothing else includes it.
set(forbidden_mpi "search/;eval/;io/;hnsw/")
# hnsw/ (the optional approximate index, on hnswlib) serves search's interface: it may include
# search/ and anything below but trainers and io/; nothing else includes it.
set(forbidden_hnsw "train/;updates/;models/;io/;mpi/")

file(GLOB_RECURSE headers RELATIVE "${INCLUDE_DIR}" "${INCLUDE_DIR}/*.hpp")
set(violations "")
set(checked 0)
foreach(header IN LISTS headers)
  if(NOT header MATCHES "^([a-z]+)/")
    # Top level (errors, types, version, the umbrella): any layer but the optional mpi/, so that
    # #include <embedkit/embedkit.hpp> never needs MPI.
    file(STRINGS "${INCLUDE_DIR}/${header}" includes REGEX "^#include \"embedkit/(mpi|hnsw)/")
    foreach(line IN LISTS includes)
      list(APPEND violations "${header}: ${line} (the umbrella never includes the optional mpi/ or hnsw/)")
    endforeach()
    continue()
  endif()
  set(layer "${CMAKE_MATCH_1}")
  file(STRINGS "${INCLUDE_DIR}/${header}" includes REGEX "^#include \"embedkit/")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^#include \"embedkit/([^\"]+)\".*" "\\1" included "${line}")
    math(EXPR checked "${checked} + 1")
    # The update rules read their model's options, which include nothing else of models/.
    if(layer STREQUAL "updates" AND included MATCHES "^models/[a-z0-9_]+_options\\.hpp$")
      continue()
    endif()
    foreach(prefix IN LISTS forbidden_${layer})
      string(LENGTH "${prefix}" n)
      string(SUBSTRING "${included}" 0 ${n} head)
      if(head STREQUAL prefix)
        list(APPEND violations "${header} includes ${included} (${layer}/ may not include ${prefix})")
      endif()
    endforeach()
  endforeach()
  # An options header is the bottom of models/: it includes no other model header.
  if(header MATCHES "^models/[a-z0-9_]+_options\\.hpp$")
    foreach(line IN LISTS includes)
      if(line MATCHES "embedkit/models/")
        list(APPEND violations "${header}: an options header includes ${line}")
      endif()
    endforeach()
  endif()
endforeach()

if(checked EQUAL 0)
  message(FATAL_ERROR "no #include lines found under ${INCLUDE_DIR}: the check would pass vacuously")
endif()
if(violations)
  string(REPLACE ";" "\n  " text "${violations}")
  message(FATAL_ERROR "layering violations:\n  ${text}")
endif()
message(STATUS "layering ok: ${checked} includes in the headers under ${INCLUDE_DIR}")
