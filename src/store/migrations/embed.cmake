# Embeds the schema migrations (src/store/migrations/NNNN_name.sql) into redred_store at build time.
# Include it once from the top CMakeLists.txt, after add_library(redred_store ...):
#   include(src/store/migrations/embed.cmake)
# Each .sql file becomes a char array in <build>/generated/store/embedded_migrations.cpp. Adding a file or
# changing one re-runs CMake (CONFIGURE_DEPENDS), and configure_file rewrites the .cpp only when it changed.

set(_redred_mig_dir ${CMAKE_CURRENT_LIST_DIR})
file(GLOB _redred_mig_files CONFIGURE_DEPENDS ${_redred_mig_dir}/*.sql)
list(SORT _redred_mig_files)
# file(READ) runs at configure time: re-run CMake when a file's content changes, not only when one is added.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_redred_mig_files})

set(REDRED_MIGRATION_ARRAYS "")
set(REDRED_MIGRATION_ENTRIES "")
set(_redred_mig_expected 1)
foreach(_redred_mig_file IN LISTS _redred_mig_files)
  get_filename_component(_redred_mig_name ${_redred_mig_file} NAME)
  if(NOT _redred_mig_name MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)\\.sql$")
    message(FATAL_ERROR "store migration '${_redred_mig_name}': name it NNNN_lower_snake_case.sql")
  endif()
  set(_redred_mig_label ${CMAKE_MATCH_1})
  set(_redred_mig_title ${CMAKE_MATCH_2})
  string(REGEX REPLACE "^0+" "" _redred_mig_version "${_redred_mig_label}")
  if(NOT _redred_mig_version EQUAL _redred_mig_expected)
    message(FATAL_ERROR "store migration '${_redred_mig_name}': expected number ${_redred_mig_expected}; "
                        "migrations are numbered 1, 2, ... without gaps or duplicates")
  endif()
  math(EXPR _redred_mig_expected "${_redred_mig_expected} + 1")

  file(READ ${_redred_mig_file} _redred_mig_hex HEX)
  if(_redred_mig_hex STREQUAL "")
    message(FATAL_ERROR "store migration '${_redred_mig_name}' is empty")
  endif()
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," _redred_mig_bytes "${_redred_mig_hex}")
  string(APPEND REDRED_MIGRATION_ARRAYS
    "// ${_redred_mig_name}\nconst char kMigration${_redred_mig_label}[] = {${_redred_mig_bytes}'\\0'};\n")
  set(_redred_mig_array kMigration${_redred_mig_label})
  string(APPEND REDRED_MIGRATION_ENTRIES
    "    {${_redred_mig_version}, \"${_redred_mig_title}\", {${_redred_mig_array}, sizeof(${_redred_mig_array}) - 1}},\n")
endforeach()
if(_redred_mig_expected EQUAL 1)
  message(FATAL_ERROR "no store migrations found in ${_redred_mig_dir}")
endif()

set(_redred_mig_output ${CMAKE_BINARY_DIR}/generated/store/embedded_migrations.cpp)
configure_file(${_redred_mig_dir}/embedded_migrations.cpp.in ${_redred_mig_output} @ONLY)
target_sources(redred_store PRIVATE ${_redred_mig_output})
target_compile_definitions(redred_store PRIVATE REDRED_STORE_EMBEDDED_MIGRATIONS=1)
