# Embeds the schema migrations into redred_store at build time, one set per SQL dialect:
# src/store/migrations/sqlite/NNNN_name.sql and src/store/migrations/postgres/NNNN_name.sql, the same numbers
# and names in both (the same change, written for each database). Include it once from the top CMakeLists.txt,
# after add_library(redred_store ...):
#   include(src/store/migrations/embed.cmake)
# Each .sql file becomes a char array in <build>/generated/store/embedded_migrations.cpp. Adding a file or
# changing one re-runs CMake (CONFIGURE_DEPENDS), and configure_file rewrites the .cpp only when it changed.

set(_redred_mig_root ${CMAKE_CURRENT_LIST_DIR})
set(REDRED_MIGRATION_ARRAYS "")

# Appends the arrays of one dialect's files to REDRED_MIGRATION_ARRAYS and sets <out_var> to its table entries.
function(_redred_embed_dialect dialect prefix out_var out_names)
  file(GLOB _files CONFIGURE_DEPENDS ${_redred_mig_root}/${dialect}/*.sql)
  list(SORT _files)
  # file(READ) runs at configure time: re-run CMake when a file's content changes, not only when one is added.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_files})
  set(_arrays "${REDRED_MIGRATION_ARRAYS}")
  set(_entries "")
  set(_names "")
  set(_expected 1)
  foreach(_file IN LISTS _files)
    get_filename_component(_name ${_file} NAME)
    if(NOT _name MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)\\.sql$")
      message(FATAL_ERROR "store migration '${dialect}/${_name}': name it NNNN_lower_snake_case.sql")
    endif()
    set(_label ${CMAKE_MATCH_1})
    set(_title ${CMAKE_MATCH_2})
    string(REGEX REPLACE "^0+" "" _version "${_label}")
    if(NOT _version EQUAL _expected)
      message(FATAL_ERROR "store migration '${dialect}/${_name}': expected number ${_expected}; "
                          "migrations are numbered 1, 2, ... without gaps or duplicates")
    endif()
    math(EXPR _expected "${_expected} + 1")
    file(READ ${_file} _hex HEX)
    if(_hex STREQUAL "")
      message(FATAL_ERROR "store migration '${dialect}/${_name}' is empty")
    endif()
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," _bytes "${_hex}")
    string(APPEND _arrays "// ${dialect}/${_name}\nconst char k${prefix}${_label}[] = {${_bytes}'\\0'};\n")
    string(APPEND _entries "    {${_version}, \"${_title}\", {k${prefix}${_label}, sizeof(k${prefix}${_label}) - 1}},\n")
    list(APPEND _names ${_label}_${_title})
  endforeach()
  if(_expected EQUAL 1)
    message(FATAL_ERROR "no store migrations found in ${_redred_mig_root}/${dialect}")
  endif()
  set(REDRED_MIGRATION_ARRAYS "${_arrays}" PARENT_SCOPE)
  set(${out_var} "${_entries}" PARENT_SCOPE)
  set(${out_names} "${_names}" PARENT_SCOPE)
endfunction()

_redred_embed_dialect(sqlite Sqlite REDRED_SQLITE_MIGRATIONS _redred_sqlite_names)
_redred_embed_dialect(postgres Postgres REDRED_POSTGRES_MIGRATIONS _redred_postgres_names)
if(NOT _redred_sqlite_names STREQUAL _redred_postgres_names)
  message(FATAL_ERROR "store migrations differ between dialects: every sqlite/NNNN_name.sql needs a "
                      "postgres/NNNN_name.sql and the other way round\n sqlite: ${_redred_sqlite_names}\n "
                      "postgres: ${_redred_postgres_names}")
endif()

set(_redred_mig_output ${CMAKE_BINARY_DIR}/generated/store/embedded_migrations.cpp)
configure_file(${_redred_mig_root}/embedded_migrations.cpp.in ${_redred_mig_output} @ONLY)
target_sources(redred_store PRIVATE ${_redred_mig_output})
target_compile_definitions(redred_store PRIVATE REDRED_STORE_EMBEDDED_MIGRATIONS=1)
