# SPDX-License-Identifier: MIT
# A program given bad arguments exits with status 2 and says what is wrong on stderr, naming
# the option. Run: cmake -DPROGRAM=path/umm-demo "-DARGS=--seconds;1x" -P expect_usage_error.cmake
execute_process(COMMAND ${PROGRAM} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
  TIMEOUT 30)
if(NOT rc EQUAL 2)
  message(FATAL_ERROR "${PROGRAM} ${ARGS}: exit status ${rc}, expected 2 (usage error)\n${out}${err}")
endif()
list(GET ARGS 0 first)
if(first MATCHES "^--")
  string(REGEX REPLACE "^--([a-z-]+).*" "\\1" opt "${first}")
  if(NOT err MATCHES "--${opt}")
    message(FATAL_ERROR "${PROGRAM} ${ARGS}: the error does not name --${opt}: ${err}")
  endif()
elseif(NOT err MATCHES "unexpected argument")
  message(FATAL_ERROR "${PROGRAM} ${ARGS}: no 'unexpected argument' message: ${err}")
endif()
message(STATUS "${PROGRAM} ${ARGS}: exit 2: ${err}")
