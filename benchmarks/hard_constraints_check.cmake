# Runs benchmark_hard_constraints on its small meshes and checks that it
# exits cleanly and writes a row for every residual and number of experts,
# each with converged experts.
#   cmake -DBENCHMARK=<program> -DOUTPUT=<dir> -P hard_constraints_check.cmake
file(REMOVE_RECURSE "${OUTPUT}")
execute_process(COMMAND "${BENCHMARK}" --quick --output "${OUTPUT}"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "benchmark exited with ${result}")
endif()
file(READ "${OUTPUT}/rows.json" rows)
foreach(residual diffusion-reaction nonlinear-diffusion)
  foreach(experts 1 4)
    if(NOT rows MATCHES "\"residual\": \"${residual}\",[^}]*\"experts\": ${experts},[^}]*\"converged\": true")
      message(FATAL_ERROR "rows.json has no row of ${residual} with ${experts} experts")
    endif()
  endforeach()
endforeach()
# The accuracy part: every residual trained with soft, hard, moe and coupled
# moe (the quick list), with the trivial row; soft and hard train.
file(READ "${OUTPUT}/accuracy.json" accuracy)
foreach(residual "diffusion-reaction \\(jump\\)" "diffusion-reaction \\(random\\)"
    nonlinear-diffusion diffusion-sorption)
  foreach(method "u = u_0 \\(trivial\\)" soft "hard N=16" "moe K=4 N=16"
      "moe K=4 N=16 coupled least squares")
    if(NOT accuracy MATCHES "\"residual\": \"${residual}\",[^}]*\"method\": \"${method}\"")
      message(FATAL_ERROR "accuracy.json has no row of ${residual} with ${method}")
    endif()
  endforeach()
  foreach(method soft "hard N=16")
    if(NOT accuracy MATCHES "\"residual\": \"${residual}\",[^}]*\"method\": \"${method}\",[^}]*\"trained\": true")
      message(FATAL_ERROR "${residual} with ${method} did not train")
    endif()
  endforeach()
endforeach()
if(NOT accuracy MATCHES "\"residual\": \"diffusion-sorption\",[^}]*\"u_old_error\"")
  message(FATAL_ERROR "accuracy.json has no u = u_old baseline for diffusion-sorption")
endif()
# Coupled rows of the cost part.
foreach(residual diffusion-reaction nonlinear-diffusion)
  if(NOT rows MATCHES "\"residual\": \"${residual}\",[^}]*\"experts\": 4, \"coupled\": true,[^}]*\"converged\": true")
    message(FATAL_ERROR "rows.json has no converged coupled row of ${residual} with 4 experts")
  endif()
endforeach()
