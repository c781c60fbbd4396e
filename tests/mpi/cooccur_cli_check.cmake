# `mpirun -np RANKS embedkit cooccur` writes the same bytes as `embedkit cooccur` in one process,
# for a text of short lines and for one long line (text8's shape, where every part boundary falls
# inside a window). Run by CTest (tests/CMakeLists.txt) with -DEMBEDKIT, -DMPIEXEC,
# -DMPIEXEC_FLAGS, -DMPIEXEC_NUMPROC_FLAG, -DRANKS and -DWORK_DIR.

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# Words w0..w96 drawn by a fixed quadratic sequence, so some are frequent and some rare.
set(lines "")
set(line "")
foreach(i RANGE 1 4000)
  math(EXPR w "(${i} * ${i} * 7 + ${i} * 13) % 97 % (1 + ${i} % 41)")
  string(APPEND line "w${w} ")
  math(EXPR end_of_line "${i} % 37")
  if(end_of_line EQUAL 0)
    string(APPEND lines "${line}\n")
    set(line "")
  endif()
endforeach()
string(APPEND lines "${line}")
string(REPLACE "\n" " " one_line "${lines}")
file(WRITE "${WORK_DIR}/lines.txt" "${lines}")
file(WRITE "${WORK_DIR}/one_line.txt" "${one_line}")

set(flags ${MPIEXEC_FLAGS})  # a CMake list
foreach(sample lines one_line)
  foreach(window 5 10)
    set(args cooccur --input "${WORK_DIR}/${sample}.txt" --min-count 2 --window ${window} -q)
    execute_process(COMMAND "${EMBEDKIT}" ${args} --output "${WORK_DIR}/one.bin" RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "embedkit cooccur (one process) failed on ${sample}: ${err}")
    endif()
    execute_process(COMMAND "${MPIEXEC}" ${flags} ${MPIEXEC_NUMPROC_FLAG} ${RANKS} "${EMBEDKIT}" ${args}
                            --output "${WORK_DIR}/many.bin"
                    RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "mpirun -np ${RANKS} embedkit cooccur failed on ${sample}: ${err}")
    endif()
    execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${WORK_DIR}/one.bin" "${WORK_DIR}/many.bin"
                    RESULT_VARIABLE differ)
    if(NOT differ EQUAL 0)
      message(FATAL_ERROR "${sample}, window ${window}: mpirun -np ${RANKS} embedkit cooccur wrote other bytes than one process")
    endif()
    file(REMOVE "${WORK_DIR}/one.bin" "${WORK_DIR}/many.bin")
  endforeach()
endforeach()

# An error on the ranks (a missing input) fails every rank with a message naming the file.
execute_process(COMMAND "${MPIEXEC}" ${flags} ${MPIEXEC_NUMPROC_FLAG} ${RANKS} "${EMBEDKIT}" cooccur
                        --input "${WORK_DIR}/missing.txt" --output "${WORK_DIR}/x.bin" -q
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "missing.txt")
  message(FATAL_ERROR "a missing input under mpirun: exit ${rc}, message: ${err}")
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
message(STATUS "mpirun -np ${RANKS} embedkit cooccur: same bytes as one process")
