# Runs the benchmark on its small sizes and checks that it exits cleanly
# (it fails itself when a solve does not converge), writes its rows and
# plots, and that no learned method takes more than 10 times CG+AMG's total
# time (a sanity bound, not the speed target).
#   cmake -DBENCHMARK=<program> -DOUTPUT=<dir> -P smoke_check.cmake
file(REMOVE_RECURSE "${OUTPUT}")
execute_process(COMMAND "${BENCHMARK}" --quick --output "${OUTPUT}"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "benchmark exited with ${result}")
endif()
file(READ "${OUTPUT}/rows.json" rows)
foreach(method "\"dcdm\"" "\"fcg+neural\"" "\"cg+amg\"" "\"cg+ic\"")
  string(FIND "${rows}" "${method}" found)
  if(found EQUAL -1)
    message(FATAL_ERROR "rows.json has no row with ${method}")
  endif()
endforeach()
# Every row's ratio_to_amg for the learned methods.
string(REGEX MATCHALL "\"method\": \"(dcdm|fcg\\+neural)\"[^}]*\"ratio_to_amg\": [-+.e0-9]+"
  learned "${rows}")
list(LENGTH learned n_learned)
if(n_learned EQUAL 0)
  message(FATAL_ERROR "rows.json has no ratio_to_amg of a learned method")
endif()
foreach(row IN LISTS learned)
  string(REGEX REPLACE ".*\"ratio_to_amg\": ([-+.e0-9]+)$" "\\1" ratio "${row}")
  if(ratio GREATER 10)
    message(FATAL_ERROR "a learned method took ${ratio} times CG+AMG's time: ${row}")
  endif()
endforeach()
message(STATUS "${n_learned} learned rows, each within 10x of CG+AMG")
find_program(GNUPLOT gnuplot)
if(GNUPLOT AND NOT EXISTS "${OUTPUT}/time_vs_dofs.png")
  message(FATAL_ERROR "gnuplot is installed but time_vs_dofs.png was not written")
endif()

# --models: a row per model file, side by side with the shipped model's
# (here the untrained network; the benchmark fails if it does not
# converge).
execute_process(COMMAND "${BENCHMARK}" --quick --methods dcdm
  --problems lshape-q1-contrast100 --models untrained=untrained
  --output "${OUTPUT}/models"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "benchmark --models exited with ${result}")
endif()
file(READ "${OUTPUT}/models/rows.json" models)
foreach(method "\"dcdm\"" "\"dcdm untrained\"")
  string(FIND "${models}" "${method}" found)
  if(found EQUAL -1)
    message(FATAL_ERROR "--models: rows.json has no row with ${method}")
  endif()
endforeach()

# The repeated-solve mode on its small size: every method converges on
# every system (the benchmark fails otherwise), CG+AMG's second system
# reuses ML's hierarchy (reinit()), DCDM with `Reuse network = auto` keeps
# its network for at least one system, and `structure` recomputes values.
execute_process(COMMAND "${BENCHMARK}" --sequence --quick
  --output "${OUTPUT}/sequence"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "benchmark --sequence exited with ${result}")
endif()
file(READ "${OUTPUT}/sequence/sequence.json" sequence)
foreach(row "\"system\": 1,[^}]*\"method\": \"cg\\+amg reinit\"[^}]*\"reuse\": 1"
            "\"method\": \"dcdm auto\"[^}]*\"reuse\": 2"
            "\"system\": 2,[^}]*\"method\": \"dcdm structure\"[^}]*\"reuse\": 1")
  string(REGEX MATCH "${row}" found "${sequence}")
  if(NOT found)
    message(FATAL_ERROR "sequence.json has no row matching ${row}")
  endif()
endforeach()
message(STATUS "repeated-solve mode: rows with reinit() and network reuse")

# The time-loop mode on its small size: every method converges on every
# step (the benchmark fails otherwise) and every method has a row for the
# last of the 12 steps, after the remeshings.
execute_process(COMMAND "${BENCHMARK}" --time-loop --quick
  --output "${OUTPUT}/time-loop"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "benchmark --time-loop exited with ${result}")
endif()
file(READ "${OUTPUT}/time-loop/time_loop.json" loop)
foreach(method "cg\\+ssor" "cg\\+amg" "dcdm" "dcdm online" "auto")
  string(REGEX MATCH "\"step\": 12,[^}]*\"method\": \"${method}\"[^}]*\"converged\": true"
    found "${loop}")
  if(NOT found)
    message(FATAL_ERROR "time_loop.json has no converged row of ${method} at step 12")
  endif()
endforeach()
message(STATUS "time-loop mode: every method converged on all 12 steps")
