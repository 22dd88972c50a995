// One parsed Redis reply: a plain copy of hiredis's redisReply, so hiredis headers stay in .cpp files.
#pragma once
#include <string>
#include <vector>

namespace redred::state::redis {

// A RESP2 reply value. `str` holds Status, Error and String payloads (binary-safe); `integer` holds Integer;
// `elements` holds Array items. A Redis error reply is data here (type Error), not a transport failure.
struct Reply {
    enum class Type { Nil, Status, Error, Integer, String, Array };

    Type type = Type::Nil;
    std::string str;
    long long integer = 0;
    std::vector<Reply> elements;

    bool is_nil() const { return type == Type::Nil; }
    bool is_status() const { return type == Type::Status; }
    bool is_error() const { return type == Type::Error; }
    bool is_integer() const { return type == Type::Integer; }
    bool is_string() const { return type == Type::String; }
    bool is_array() const { return type == Type::Array; }
};

}  // namespace redred::state::redis
