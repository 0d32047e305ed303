# libFuzzer targets for the parsers of outside data (tests/fuzz). They are
# built with clang (Debian: clang and libclang-rt-14-dev), apart from the
# main build, with ASan and UBSan; without clang their tests are skipped.
find_program(NOSCO_CLANG NAMES clang clang-14)
set(NOSCO_FUZZ_OK FALSE)
if(NOSCO_CLANG)
  set(probe ${CMAKE_BINARY_DIR}/fuzz_probe.c)
  file(WRITE ${probe} "#include <stddef.h>\n#include <stdint.h>\n"
    "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\n"
    "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n")
  execute_process(
    COMMAND ${NOSCO_CLANG} -fsanitize=fuzzer,address,undefined ${probe}
      -o ${CMAKE_BINARY_DIR}/fuzz_probe
    RESULT_VARIABLE probe_rc OUTPUT_QUIET ERROR_QUIET)
  if(probe_rc EQUAL 0)
    set(NOSCO_FUZZ_OK TRUE)
  else()
    set(NOSCO_FUZZ_WHY "${NOSCO_CLANG} cannot link -fsanitize=fuzzer (install libclang-rt-14-dev)")
  endif()
else()
  set(NOSCO_FUZZ_WHY "clang not found (install clang)")
endif()
if(NOT NOSCO_FUZZ_OK)
  message(STATUS "fuzz tests will be skipped: ${NOSCO_FUZZ_WHY}")
endif()

# nosco_fuzzer(NAME TEST TESTNAME SOURCES FILE... [INCLUDES DIR...]
#              [LIBS FLAG...] [AFTER TARGET...] CORPUS DIR SECONDS N MAX_LEN N
#              [DICT FILE] [LABELS LABEL...])
# Builds the libFuzzer executable NAME from SOURCES and registers TESTNAME:
# tests/fuzz/run.sh runs it for SECONDS on a copy of the committed CORPUS.
# AFTER: targets that generate some of the SOURCES. The sanitizer build
# (NOSCO_SANITIZE) registers no fuzz test: the fuzzers are the same there.
function(nosco_fuzzer name)
  cmake_parse_arguments(F "" "TEST;CORPUS;SECONDS;MAX_LEN;DICT"
    "SOURCES;INCLUDES;LIBS;AFTER;LABELS" ${ARGN})
  if(NOSCO_SANITIZE)
    return()
  endif()
  if(NOT NOSCO_FUZZ_OK)
    add_test(NAME ${F_TEST} COMMAND sh -c "echo 'skipped: ${NOSCO_FUZZ_WHY}'; exit 77")
  else()
    set(exe ${CMAKE_CURRENT_BINARY_DIR}/${name})
    set(incs ${F_INCLUDES})
    list(TRANSFORM incs PREPEND -I)
    set(implicit)
    foreach(src ${F_SOURCES})
      list(APPEND implicit C ${src})
    endforeach()
    add_custom_command(OUTPUT ${exe}
      COMMAND ${NOSCO_CLANG} -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
        -g -O1 -std=gnu11 -Wall -Wextra -Werror ${incs} ${F_SOURCES} ${F_LIBS} -o ${exe}
      DEPENDS ${F_SOURCES}
      IMPLICIT_DEPENDS ${implicit}
      COMMENT "Building the libFuzzer target ${name} with ${NOSCO_CLANG}"
      VERBATIM)
    add_custom_target(${name} ALL DEPENDS ${exe})
    if(F_AFTER)
      add_dependencies(${name} ${F_AFTER})
    endif()
    add_test(NAME ${F_TEST}
      COMMAND bash ${PROJECT_SOURCE_DIR}/tests/fuzz/run.sh ${exe} ${F_CORPUS} ${F_SECONDS}
        ${F_MAX_LEN} ${F_DICT})
  endif()
  math(EXPR timeout "${F_SECONDS} * 3 + 120")
  set_tests_properties(${F_TEST} PROPERTIES LABELS "fuzz;${F_LABELS}" SKIP_RETURN_CODE 77
    TIMEOUT ${timeout})
endfunction()
