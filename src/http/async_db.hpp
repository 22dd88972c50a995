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

// `job` runs inside the writer's transaction. A job that returns an Error still commits whatever it wrote, so
// jobs validate before writing.
template <class T>
net::awaitable<Result<T>> write(store::Database& database, std::function<Result<T>(store::Store&)> job) {
    auto initiation = [&database](auto handler, std::function<Result<T>(store::Store&)> work) {
        auto shared_handler = std::make_shared<decltype(handler)>(std::move(handler));
        auto outcome = std::make_shared<std::optional<Result<T>>>();
        database.write([work = std::move(work), outcome](store::Store& s) { outcome->emplace(work(s)); },
                       [shared_handler, outcome](bool ok, std::string error) {
                           if (ok && outcome->has_value()) detail::complete<T>(shared_handler, std::move(**outcome));
                           else detail::complete<T>(shared_handler, Result<T>(make_error(Errc::Unavailable, "database write failed: " + error)));
                       });
    };
    // A named initiation object: GCC 12 destroys temporaries passed to async_initiate inside co_await twice.
    co_return co_await net::async_initiate<decltype(use_awaitable), void(Result<T>)>(initiation, use_awaitable,
                                                                                   std::move(job));
}

template <class T>
net::awaitable<Result<T>> read(store::Database& database, std::function<Result<T>(store::Store&)> job) {
    auto initiation = [&database](auto handler, std::function<Result<T>(store::Store&)> work) {
        auto shared_handler = std::make_shared<decltype(handler)>(std::move(handler));
        const bool queued = database.read([work = std::move(work), shared_handler](store::Store& s) {
            std::optional<Result<T>> out;
            try {
                out.emplace(work(s));
            } catch (const std::exception& e) {
                out.emplace(make_error(Errc::Internal, std::string("database read failed: ") + e.what()));
            }
            detail::complete<T>(shared_handler, std::move(*out));
        });
        if (!queued)
            detail::complete<T>(shared_handler, Result<T>(make_error(Errc::Unavailable, "the database is overloaded or closed")));
    };
    co_return co_await net::async_initiate<decltype(use_awaitable), void(Result<T>)>(initiation, use_awaitable,
                                                                                   std::move(job));
}

}  // namespace redred::db
