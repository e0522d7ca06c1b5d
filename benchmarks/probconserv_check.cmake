# Runs benchmark_probconserv on its small sizes and checks that it exits
# cleanly (it fails itself if a corrected field misses its conservation
# target) and writes rows for every case and method, and the plots.
#   cmake -DBENCHMARK=<program> -DOUTPUT=<dir> -P probconserv_check.cmake
file(REMOVE_RECURSE "${OUTPUT}")
execute_process(COMMAND "${BENCHMARK}" --quick --output "${OUTPUT}"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "benchmark exited with ${result}")
endif()
file(READ "${OUTPUT}/rows.json" rows)
foreach(case heat-1d pme-1d stefan-1d heat-2d pme-2d stefan-2d)
  foreach(method base hardc probconserv)
    if(NOT rows MATCHES "\"case\": \"${case}\",[^}]*\"method\": \"${method}\"")
      message(FATAL_ERROR "rows.json has no row of ${case} with ${method}")
    endif()
  endforeach()
endforeach()
find_program(GNUPLOT gnuplot)
if(GNUPLOT AND NOT EXISTS "${OUTPUT}/conservation_error.png")
  message(FATAL_ERROR "gnuplot is installed but conservation_error.png was not written")
endif()
