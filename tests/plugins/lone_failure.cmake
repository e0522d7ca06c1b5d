# A component that throws on the last of N ranks only, run by the driver
# as a user would: the job must end (within the test's timeout and a
# stated number of seconds), with a non-zero exit code and the message of
# the failing rank, its rank number, and no hang.
#   -DCOMMAND=mpiexec|flags|... -DPRM_CONTENT=... -DWORKDIR=...
#   -DEXPECT_REGEX=... -DMAX_SECONDS=N
string(REPLACE "|" ";" COMMAND "${COMMAND}")
file(REMOVE_RECURSE ${WORKDIR})
file(MAKE_DIRECTORY ${WORKDIR})
file(WRITE ${WORKDIR}/input.prm "${PRM_CONTENT}")
string(TIMESTAMP started "%s")
execute_process(COMMAND ${COMMAND} input.prm
  WORKING_DIRECTORY ${WORKDIR}
  TIMEOUT 120
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(TIMESTAMP finished "%s")
math(EXPR elapsed "${finished} - ${started}")
message("exit code ${code} after ${elapsed} s\nstdout:\n${out}\nstderr:\n${err}")
if("${code}" STREQUAL "0" OR NOT "${code}" MATCHES "^[0-9]+$")
  message(FATAL_ERROR "expected a non-zero exit code, got '${code}'")
endif()
if(elapsed GREATER MAX_SECONDS)
  message(FATAL_ERROR "the job took ${elapsed} s, more than ${MAX_SECONDS} s")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT_REGEX}")
  message(FATAL_ERROR "output does not match '${EXPECT_REGEX}'")
endif()
