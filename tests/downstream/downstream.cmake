# Install, configure examples/ against the installed package only, build,
# run. Each step stops the test with its output if it fails.
function(step _what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code
    OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("== ${_what} (exit ${code})\n${out}${err}")
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "${_what} failed")
  endif()
  set(last_output "${out}${err}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${PREFIX} ${WORK_DIR})
step("install" ${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${PREFIX})
# Only the install prefix is given: deal.II and Torch must be found by the
# package itself.
step("configure examples" ${CMAKE_COMMAND} -S ${EXAMPLES_DIR} -B ${WORK_DIR}
  -DCMAKE_PREFIX_PATH=${PREFIX} -DCMAKE_BUILD_TYPE=Release)
step("build examples" ${CMAKE_COMMAND} --build ${WORK_DIR} -j 2)

set(_prm ${EXAMPLES_DIR}/adaptive_poisson/adaptive_poisson.prm)
# Every cycle must report ", converged" (not ", NOT converged").
function(expect_converged_cycles _method)
  foreach(_cycle 0 1 2 3 4)
    if(NOT last_output MATCHES
        "cycle ${_cycle}: [0-9]+ DoFs, ${_method} [0-9]+ iterations, relative residual [-+.e0-9]+, converged\n")
      message(FATAL_ERROR "cycle ${_cycle} did not report a converged ${_method} solve")
    endif()
  endforeach()
  if(last_output MATCHES "NOT converged")
    message(FATAL_ERROR "a solve did not converge")
  endif()
endfunction()

step("run example" ${WORK_DIR}/adaptive_poisson ${_prm})
expect_converged_cycles("cg\\(amg\\)")
step("run example on 2 ranks" ${MPIEXEC} ${MPIEXEC_FLAGS} -np 2
  ${WORK_DIR}/adaptive_poisson ${_prm})
expect_converged_cycles("cg\\(amg\\)")
# The same program switched to DCDM by its parameter file alone, with the
# default model found in the installed tree.
step("run example with dcdm" ${WORK_DIR}/adaptive_poisson
  ${EXAMPLES_DIR}/adaptive_poisson/adaptive_poisson-dcdm.prm)
expect_converged_cycles("dcdm\\(\\)")
# The installed driver works from the prefix too.
step("installed driver" ${PREFIX}/bin/dealii-learned --print-parameters)
