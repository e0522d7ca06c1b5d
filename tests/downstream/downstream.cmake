# dealii-learned as a user's project meets it: installed, then found by
# find_package() from projects of their own, in Release and in Debug, in
# both CMake orders.
#
#  1. This build (the Release variant) is installed into PREFIX. A Debug
#     program configured against it is refused with a message that says
#     what to do (it would link both deal.II libraries and crash at exit).
#  2. The Debug variant is built from the same sources (library only) and
#     installed into the same prefix, as scripts/install.sh does.
#  3. examples/ (find_package() after project(), Release): adaptive_poisson
#     on one and two ranks, switched to dcdm and to a plugin solver hook by
#     its parameter file alone; elasticity (rigid-body modes given with
#     set_structure()) on one and two ranks and with dcdm; probconserv_heat
#     on one and two ranks.
#  4. examples/adaptive_poisson (deal.II's order: find_package() before
#     project(); Debug, deal.II's default): it runs, exits cleanly, and
#     links only the Debug deal.II and the Debug dealii-learned.
#
# Each step stops the test with its output if it fails.
#   -DBINARY_DIR -DSOURCE_DIR -DEXAMPLES_DIR -DPREFIX -DWORK_DIR -DMPIEXEC
#   -DMPIEXEC_FLAGS
function(step _what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code
    OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("== ${_what} (exit ${code})\n${out}${err}")
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "${_what} failed")
  endif()
  set(last_output "${out}${err}" PARENT_SCOPE)
endfunction()

# Every cycle of adaptive_poisson must report ", converged".
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

set(_prm_dir ${EXAMPLES_DIR}/adaptive_poisson)
file(REMOVE_RECURSE ${PREFIX} ${WORK_DIR}/release ${WORK_DIR}/debug-order
  ${WORK_DIR}/debug-examples)

# 1. The Release variant alone; a Debug program is refused.
step("install" ${CMAKE_COMMAND} --install ${BINARY_DIR} --prefix ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} -S ${EXAMPLES_DIR}/adaptive_poisson
  -B ${WORK_DIR}/debug-order -DCMAKE_PREFIX_PATH=${PREFIX} -DCMAKE_BUILD_TYPE=Debug
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("== configure a Debug program against the Release variant only (exit ${code})\n${out}${err}")
if(code EQUAL 0 OR NOT "${out}${err}" MATCHES "has no debug variant")
  message(FATAL_ERROR "a Debug program was not refused by a Release-only installation")
endif()
file(REMOVE_RECURSE ${WORK_DIR}/debug-order)

# 2. The Debug variant of the library, installed next to the Release one.
# Its build directory is kept between runs (it only rebuilds what changed).
step("configure the Debug variant" ${CMAKE_COMMAND} -S ${SOURCE_DIR}
  -B ${WORK_DIR}/debug-variant -DCMAKE_BUILD_TYPE=Debug
  -DDEALII_LEARNED_BUILD_TESTS=OFF -DDEALII_LEARNED_BUILD_PROGRAMS=OFF)
step("build the Debug variant" ${CMAKE_COMMAND} --build ${WORK_DIR}/debug-variant -j 2)
step("install the Debug variant" ${CMAKE_COMMAND} --install ${WORK_DIR}/debug-variant
  --prefix ${PREFIX})

# 3. examples/: find_package() after project(), Release. Only the install
# prefix is given: deal.II must be found by the package itself.
step("configure examples (Release)" ${CMAKE_COMMAND} -S ${EXAMPLES_DIR}
  -B ${WORK_DIR}/release -DCMAKE_PREFIX_PATH=${PREFIX} -DCMAKE_BUILD_TYPE=Release)
step("build examples (Release)" ${CMAKE_COMMAND} --build ${WORK_DIR}/release -j 2)
set(_program ${WORK_DIR}/release/adaptive_poisson)
step("run example" ${_program} ${_prm_dir}/adaptive_poisson.prm)
expect_converged_cycles("cg\\(amg\\)")
step("run example on 2 ranks" ${MPIEXEC} ${MPIEXEC_FLAGS} -np 2 ${_program}
  ${_prm_dir}/adaptive_poisson.prm)
expect_converged_cycles("cg\\(amg\\)")
# The same program switched to DCDM by its parameter file alone, with the
# default model found in the installed tree.
step("run example with dcdm" ${_program} ${_prm_dir}/adaptive_poisson-dcdm.prm)
expect_converged_cycles("dcdm\\(\\)")
# And to a plugin's hook, loaded from the build directory of the examples.
execute_process(COMMAND ${_program} ${_prm_dir}/adaptive_poisson-plugin.prm
  WORKING_DIRECTORY ${WORK_DIR}/release
  RESULT_VARIABLE code OUTPUT_VARIABLE last_output ERROR_VARIABLE err)
message("== run example with the plugin hook (exit ${code})\n${last_output}${err}")
if(NOT code EQUAL 0)
  message(FATAL_ERROR "run example with the plugin hook failed")
endif()
expect_converged_cycles("cg-chebyshev\\(chebyshev\\)")
# A system of PDEs: the elasticity example gives the hook the rigid-body
# modes it computes from its support points. Every cycle converges, and the
# cantilever sags under its weight: the mean vertical displacement is
# negative.
function(expect_elasticity_cycles _method)
  expect_converged_cycles("${_method}")
  foreach(_cycle 0 1 2 3 4)
    if(NOT last_output MATCHES
        "cycle ${_cycle}: [0-9]+ DoFs, [^\n]*, converged\n  mean vertical displacement -[0-9][-+.e0-9]*\n")
      message(FATAL_ERROR "elasticity: cycle ${_cycle} did not report a negative mean vertical displacement")
    endif()
  endforeach()
endfunction()
set(_elasticity ${WORK_DIR}/release/elasticity)
set(_elasticity_prm_dir ${EXAMPLES_DIR}/elasticity)
step("run elasticity" ${_elasticity} ${_elasticity_prm_dir}/elasticity.prm)
expect_elasticity_cycles("cg\\(amg\\)")
step("run elasticity on 2 ranks" ${MPIEXEC} ${MPIEXEC_FLAGS} -np 2
  ${_elasticity} ${_elasticity_prm_dir}/elasticity.prm)
expect_elasticity_cycles("cg\\(amg\\)")
step("run elasticity with dcdm" ${_elasticity}
  ${_elasticity_prm_dir}/elasticity-dcdm.prm)
expect_elasticity_cycles("dcdm\\(\\)")
# A time loop of the user's own corrects a surrogate with prob-conserv:
# the integral is met to round-off after the update at every step.
function(expect_conserved _ranks)
  foreach(_step 1 5 10)
    if(NOT last_output MATCHES "step ${_step}: conservation_error_before 0.0[0-9]+\n"
        OR NOT last_output MATCHES "step ${_step}: conservation_error_after [0-9.e-]+e-1[3-9]\n|step ${_step}: conservation_error_after 0\n")
      message(FATAL_ERROR "probconserv_heat on ${_ranks} did not conserve the integral at step ${_step}")
    endif()
  endforeach()
endfunction()
step("run probconserv_heat" ${WORK_DIR}/release/probconserv_heat
  ${EXAMPLES_DIR}/probconserv_heat/probconserv_heat.prm)
expect_conserved("1 rank")
step("run probconserv_heat on 2 ranks" ${MPIEXEC} ${MPIEXEC_FLAGS} -np 2
  ${WORK_DIR}/release/probconserv_heat
  ${EXAMPLES_DIR}/probconserv_heat/probconserv_heat.prm)
expect_conserved("2 ranks")
# A time loop of the user's own (step-26): 250 steps, every one converged,
# with CG+SSOR on one rank and with Method = auto on two.
function(expect_time_loop _what)
  if(NOT last_output MATCHES "step 250 \\(t = 0\\.5\\): [0-9]+ DoFs"
      OR last_output MATCHES "NOT converged"
      OR NOT last_output MATCHES "totals: 250 solves, [0-9]+ iterations")
    message(FATAL_ERROR "heat_time_loop (${_what}) did not converge on all 250 steps")
  endif()
endfunction()
step("run heat_time_loop" ${WORK_DIR}/release/heat_time_loop
  ${EXAMPLES_DIR}/heat_time_loop/heat_time_loop.prm)
expect_time_loop("cg+ssor")
step("run heat_time_loop with auto on 2 ranks" ${MPIEXEC} ${MPIEXEC_FLAGS} -np 2
  ${WORK_DIR}/release/heat_time_loop
  ${EXAMPLES_DIR}/heat_time_loop/heat_time_loop-auto.prm)
expect_time_loop("auto, 2 ranks")
if(NOT last_output MATCHES "note: auto measured")
  message(FATAL_ERROR "heat_time_loop with auto printed no note of its choice")
endif()
# The installed driver works from the prefix too.
step("installed driver" ${PREFIX}/bin/dealii-learned --print-parameters)

# A program of the user's own replaces its solve by a neural solver with
# hard-constraint: the model is trained by the installed driver (in the
# examples' build directory, where the example's .prm finds it), then the
# program runs on one and two ranks. The layer ran (its experts converged,
# else the program fails), the jump between coupled experts is below 1e-4
# (3.3e-5 measured), the largest expert residual below 1, and the
# error against the program's own solution is below 20% (5.7% when
# measured; the training's own validation error was 5.1%).
function(step_in _dir _what)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY ${_dir}
    RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("== ${_what} (exit ${code})\n${out}${err}")
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "${_what} failed")
  endif()
  set(last_output "${out}${err}" PARENT_SCOPE)
endfunction()
set(_hc ${EXAMPLES_DIR}/hard_constraint_diffusion)
file(REMOVE ${WORK_DIR}/release/hard-constraint-model.dlh
  ${WORK_DIR}/release/hard-constraint-model.dlh.checkpoint.model
  ${WORK_DIR}/release/hard-constraint-model.dlh.checkpoint.optimizer)
step_in(${WORK_DIR}/release "train the hard-constraint model"
  ${PREFIX}/bin/dealii-learned train ${_hc}/train-hard-constraint.prm)
function(expect_hard_constraint _ranks)
  foreach(_pattern
      "hard-constraint: relative_l2_error 0\\.[01][0-9]*\n"
      "hard-constraint: interface_jump [0-9.]+e-(0[5-9]|[1-9][0-9])\n"
      "hard-constraint: max_expert_residual 0\\.[0-9]+\n"
      "hard-constraint: experts 4\n"
      "the field now differs from the program's solution by 0\\.[01][0-9]* \\(relative\\)")
    if(NOT last_output MATCHES "${_pattern}")
      message(FATAL_ERROR "hard_constraint_diffusion on ${_ranks}: no match for ${_pattern}")
    endif()
  endforeach()
endfunction()
step_in(${WORK_DIR}/release "run hard_constraint_diffusion"
  ${WORK_DIR}/release/hard_constraint_diffusion
  ${_hc}/hard_constraint_diffusion.prm)
expect_hard_constraint("1 rank")
step_in(${WORK_DIR}/release "run hard_constraint_diffusion on 2 ranks"
  ${MPIEXEC} ${MPIEXEC_FLAGS} -np 2 ${WORK_DIR}/release/hard_constraint_diffusion
  ${_hc}/hard_constraint_diffusion.prm)
expect_hard_constraint("2 ranks")
# The same program built in Debug against the Debug variant: deal.II's
# assertions hold through the layer, the coupled solve and the hook.
step("configure examples (Debug)" ${CMAKE_COMMAND} -S ${EXAMPLES_DIR}
  -B ${WORK_DIR}/debug-examples -DCMAKE_PREFIX_PATH=${PREFIX}
  -DCMAKE_BUILD_TYPE=Debug)
step("build hard_constraint_diffusion (Debug)" ${CMAKE_COMMAND} --build
  ${WORK_DIR}/debug-examples --target hard_constraint_diffusion -j 2)
step_in(${WORK_DIR}/release "run hard_constraint_diffusion (Debug) on 2 ranks"
  ${MPIEXEC} ${MPIEXEC_FLAGS} -np 2 ${WORK_DIR}/debug-examples/hard_constraint_diffusion
  ${_hc}/hard_constraint_diffusion.prm)
expect_hard_constraint("2 ranks, Debug")

# 4. deal.II's order and default build type (Debug).
step("configure adaptive_poisson (deal.II's order, Debug)" ${CMAKE_COMMAND}
  -S ${EXAMPLES_DIR}/adaptive_poisson -B ${WORK_DIR}/debug-order
  -DCMAKE_PREFIX_PATH=${PREFIX})
step("build adaptive_poisson (Debug)" ${CMAKE_COMMAND} --build ${WORK_DIR}/debug-order -j 2)
step("libraries of the Debug program" ldd ${WORK_DIR}/debug-order/adaptive_poisson)
if(NOT last_output MATCHES "libdeal\\.ii\\.g\\.so" OR last_output MATCHES "libdeal\\.ii\\.so"
    OR NOT last_output MATCHES "libdealii-learned\\.g\\.so")
  message(FATAL_ERROR "the Debug program does not link exactly the Debug deal.II and dealii-learned")
endif()
step("run the Debug program" ${WORK_DIR}/debug-order/adaptive_poisson
  ${_prm_dir}/adaptive_poisson.prm)
expect_converged_cycles("cg\\(amg\\)")
