// Awaitable access to the Database from coroutines. The job runs on the database's writer (batched into one
// transaction with others) or on a reader thread; the caller resumes on its own executor once the result is
// there — for writes, only after the transaction committed. I/O threads never touch SQLite.
#pragma once
#include <functional>
#include <memory>
#include <optional>

#include "core/net.hpp"
#include "core/result.hpp"
#include "store/database.hpp"

namespace redred::db {

namespace detail {
template <class T, class Handler>
void complete(std::shared_ptr<Handler> handler, Result<T> result) {
    auto executor = net::get_associated_executor(*handler);
    net::post(executor, [handler, result = std::move(result)]() mutable { (*handler)(std::move(result)); });
}
}  // namespace detail

// `job` (callable as Result<T>(store::Store&)) runs inside the writer's transaction. A job that returns an
// Error still commits whatever it wrote, so jobs validate before writing.
//
// Pass the job as a NAMED lambda: `auto job = [...](store::Store& s) -> Result<T> {...};
// auto r = co_await db::write<T>(database, job);`. GCC 12 bitwise-copies class prvalues used as arguments
// inside a co_await expression (a lambda written in place is freed twice); a const reference to a named local
// creates no temporary at all. These are plain functions returning the awaitable, not coroutines.
template <class T, class Job>
net::awaitable<Result<T>> write(store::Database& database, const Job& job) {
    auto work = std::make_shared<Job>(job);
    auto initiation = [&database, work](auto handler) {
        auto shared_handler = std::make_shared<decltype(handler)>(std::move(handler));
        auto outcome = std::make_shared<std::optional<Result<T>>>();
        database.write([work, outcome](store::Store& s) { outcome->emplace((*work)(s)); },
                       [shared_handler, outcome](bool ok, std::string error) {
                           if (ok && outcome->has_value())
                               detail::complete<T>(shared_handler, std::move(**outcome));
                           else
                               detail::complete<T>(
                                   shared_handler,
                                   Result<T>(make_error(Errc::Unavailable, "database write failed: " + error)));
                       });
    };
    return net::async_initiate<const net::use_awaitable_t<>&, void(Result<T>)>(std::move(initiation),
                                                                               net::use_awaitable);
}

template <class T, class Job>
net::awaitable<Result<T>> read(store::Database& database, const Job& job) {
    auto work = std::make_shared<Job>(job);
    auto initiation = [&database, work](auto handler) {
        auto shared_handler = std::make_shared<decltype(handler)>(std::move(handler));
        const bool queued = database.read([work, shared_handler](store::Store& s) {
            std::optional<Result<T>> out;
            try {
                out.emplace((*work)(s));
            } catch (const std::exception& e) {
                out.emplace(make_error(Errc::Internal, std::string("database read failed: ") + e.what()));
            }
            detail::complete<T>(shared_handler, std::move(*out));
        });
        if (!queued)
            detail::complete<T>(shared_handler,
                                Result<T>(make_error(Errc::Unavailable, "the database is overloaded or closed")));
    };
    return net::async_initiate<const net::use_awaitable_t<>&, void(Result<T>)>(std::move(initiation),
                                                                               net::use_awaitable);
}

}  // namespace redred::db
