# Runs the benchmark on its small sizes and checks that it exits cleanly
# and writes its rows and plots.
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
find_program(GNUPLOT gnuplot)
if(GNUPLOT AND NOT EXISTS "${OUTPUT}/time_vs_dofs.png")
  message(FATAL_ERROR "gnuplot is installed but time_vs_dofs.png was not written")
endif()
