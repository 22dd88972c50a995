// Result<T>: a value or an Error. Domain and store code return these; exceptions are for bugs only.
#pragma once
#include <string>
#include <utility>
#include <variant>

namespace redred {

enum class Errc { BadInput, Unauthenticated, Forbidden, NotFound, Conflict, TooLarge, RateLimited, Unavailable, Internal };

struct Error {
    Errc code = Errc::Internal;
    std::string message;
    std::string field;  // optional: the input field at fault
};

// Stable lower_snake_case name used in JSON error bodies ("bad_input", "conflict", ...).
const char* errc_name(Errc code);

template <class T>
class [[nodiscard]] Result {
public:
    Result() : v_(Error{Errc::Internal, "no result", {}}) {}  // for Asio futures, which need a default value
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

struct Ok {};

inline Error make_error(Errc code, std::string message, std::string field = {}) {
    return Error{code, std::move(message), std::move(field)};
}

}  // namespace redred
