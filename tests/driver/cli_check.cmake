# Runs the driver as a user would and checks its exit code, its messages,
# and that a failed run left no output directory behind.
#   -DDRIVER=... -DARGS=a|b -DWORKDIR=... -DEXPECT_CODE=N -DEXPECT_REGEX=...
#   [-DABSENT=path]
string(REPLACE "|" ";" ARGS "${ARGS}")
file(REMOVE_RECURSE ${WORKDIR})
file(MAKE_DIRECTORY ${WORKDIR})
if(DEFINED PRM_CONTENT)
  file(WRITE ${WORKDIR}/input.prm "${PRM_CONTENT}")
endif()
execute_process(COMMAND ${DRIVER} ${ARGS}
  WORKING_DIRECTORY ${WORKDIR}
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("exit code ${code}\nstdout:\n${out}\nstderr:\n${err}")
if(NOT "${code}" STREQUAL "${EXPECT_CODE}")
  message(FATAL_ERROR "expected exit code ${EXPECT_CODE}, got ${code}")
endif()
if(NOT "${out}${err}" MATCHES "${EXPECT_REGEX}")
  message(FATAL_ERROR "output does not match '${EXPECT_REGEX}'")
endif()
if(DEFINED ABSENT AND EXISTS ${WORKDIR}/${ABSENT})
  message(FATAL_ERROR "a failed run left '${ABSENT}' behind")
endif()
