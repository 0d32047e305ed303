# nosco_embed(OUT_C SYMBOL_PREFIX FILE...): generates OUT_C defining, for each
# FILE, `const char <prefix><stem>[]` holding its text, so that the binary
# carries its SQL while the SQL stays readable in its own files.
function(nosco_embed out_c prefix)
  set(files ${ARGN})
  add_custom_command(
    OUTPUT ${out_c}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out_c} -DPREFIX=${prefix}
            "-DFILES=${files}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_run.cmake
    DEPENDS ${files} ${PROJECT_SOURCE_DIR}/cmake/embed_run.cmake
    COMMENT "Embedding ${prefix} SQL"
    VERBATIM)
endfunction()
