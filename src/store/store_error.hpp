// StoreError: a failed SQL operation (broken file, full disk, constraint a caller should have prevented).
// Thrown by store code; expected outcomes such as "username is taken" are Result errors instead (STYLE §5).
#pragma once
#include <stdexcept>
#include <string>

namespace redred::store {

class StoreError : public std::runtime_error {
public:
    // `code` is SQLite's extended result code (SQLITE_BUSY, SQLITE_CONSTRAINT_FOREIGNKEY, ...), or 0.
    StoreError(const std::string& message, int code) : std::runtime_error(message), code_(code) {}
    int code() const { return code_; }

private:
    int code_ = 0;
};

}  // namespace redred::store
