#include "store/postgres/connection.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <optional>
#include <vector>

#include "core/log.hpp"

namespace redred::store::postgres {
namespace {

std::string trimmed(const char* message) {
    std::string text = message ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

[[noreturn]] void fail_result(const PGresult* result, pg_conn* conn, const char* what) {
    std::string message = trimmed(result ? PQresultErrorMessage(result) : PQerrorMessage(conn));
    if (message.empty()) message = trimmed(PQerrorMessage(conn));
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    if (state) message += std::string(" (SQLSTATE ") + state + ")";
    throw StoreError(std::string("postgres ") + what + " failed: " + message, 0);
}

struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

}  // namespace

class Statement final : public sql::Statement {
public:
    Statement(Connection& conn, const std::string& name) : conn_(conn), name_(name) {}

    void bind_int64(int index, std::int64_t value) override { param(index) = std::to_string(value); }
    void bind_text(int index, std::string_view value) override { param(index) = std::string(value); }
    void bind_null(int index) override { param(index) = std::nullopt; }

    bool step() override {
        if (!result_) execute();
        ++row_;
        return row_ < PQntuples(result_.get());
    }

    bool is_null(int column) const override { return PQgetisnull(result_.get(), row_, column) != 0; }
    std::int64_t int64(int column) const override {
        const char* text = PQgetvalue(result_.get(), row_, column);
        const int size = PQgetlength(result_.get(), row_, column);
        std::int64_t value = 0;
        std::from_chars(text, text + size, value);
        return value;
    }
    std::string text(int column) const override {
        return std::string(PQgetvalue(result_.get(), row_, column),
                           static_cast<std::size_t>(PQgetlength(result_.get(), row_, column)));
    }

private:
    std::optional<std::string>& param(int index) {
        if (index < 1) throw StoreError("postgres bind: parameters are numbered from 1", 0);
        if (params_.size() < static_cast<std::size_t>(index)) params_.resize(static_cast<std::size_t>(index));
        return params_[static_cast<std::size_t>(index) - 1];
    }

    void execute() {
        std::vector<const char*> values;
        values.reserve(params_.size());
        for (const auto& p : params_) values.push_back(p ? p->c_str() : nullptr);
        result_.reset(PQexecPrepared(conn_.conn_, name_.c_str(), static_cast<int>(values.size()), values.data(),
                                     nullptr, nullptr, 0));
        const auto status = result_ ? PQresultStatus(result_.get()) : PGRES_FATAL_ERROR;
        if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) fail_result(result_.get(), conn_.conn_, "query");
        const char* affected = PQcmdTuples(result_.get());
        conn_.changes_ = affected && *affected ? std::atoll(affected) : 0;
    }

    Connection& conn_;
    const std::string name_;
    std::vector<std::optional<std::string>> params_;
    ResultPtr result_;
    int row_ = -1;
};

std::unique_ptr<Connection> Connection::open(const std::string& url) {
    // Only URLs: a "key=value" string could smuggle options we do not expect.
    if (url.rfind("postgres://", 0) != 0 && url.rfind("postgresql://", 0) != 0)
        throw StoreError("postgres: the database URL must start with postgres://", 0);
    pg_conn* conn = PQconnectdb(url.c_str());
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        std::string message = trimmed(conn ? PQerrorMessage(conn) : "out of memory");
        PQfinish(conn);
        throw StoreError("postgres connect to " + redact_url(url) + " failed: " + message, 0);
    }
    // Server notices go to our log, not to stderr.
    PQsetNoticeProcessor(
        conn, [](void*, const char* message) { log::get("store")->warn("postgres notice: {}", trimmed(message)); },
        nullptr);
    auto connection = std::unique_ptr<Connection>(new Connection(conn));
    connection->exec("SET application_name = 'redred'; SET client_min_messages = warning; SET TIME ZONE 'UTC'");
    return connection;
}

Connection::~Connection() { PQfinish(conn_); }

bool Connection::in_transaction() const {
    const auto status = PQtransactionStatus(conn_);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

bool Connection::ensure_open() {
    if (PQstatus(conn_) == CONNECTION_OK) return true;
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) return false;
    prepared_.clear();  // server-side statements died with the old session
    exec("SET application_name = 'redred'; SET client_min_messages = warning; SET TIME ZONE 'UTC'");
    return true;
}

std::string Connection::server_version() const {
    const int v = PQserverVersion(conn_);
    return std::to_string(v / 10000) + "." + std::to_string(v % 10000);
}

const std::string& Connection::prepared_name(std::string_view sql) {
    auto it = prepared_.find(sql);
    if (it != prepared_.end()) return it->second;
    std::string name = "redred_" + std::to_string(next_statement_++);
    const std::string text = numbered_parameters(sql);
    ResultPtr result(PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr));
    if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) fail_result(result.get(), conn_, "prepare");
    return prepared_.emplace(std::string(sql), std::move(name)).first->second;
}

sql::Query Connection::query(std::string_view sql) {
    return sql::Query(std::make_unique<Statement>(*this, prepared_name(sql)));
}

void Connection::exec(std::string_view sql) {
    const std::string text = numbered_parameters(sql);
    ResultPtr result(PQexec(conn_, text.c_str()));
    const auto status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY)
        fail_result(result.get(), conn_, "exec");
    const char* affected = PQcmdTuples(result.get());
    changes_ = affected && *affected ? std::atoll(affected) : 0;
}

std::string numbered_parameters(std::string_view sql) {
    std::string out;
    out.reserve(sql.size());
    char quote = 0;  // inside '...' or "..."
    for (std::size_t i = 0; i < sql.size(); ++i) {
        const char c = sql[i];
        if (quote) {
            if (c == quote) quote = 0;
            out.push_back(c);
            continue;
        }
        if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '?' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
            out.push_back('$');
            continue;
        }
        out.push_back(c);
    }
    return out;
}

std::string redact_url(std::string_view url) {
    const auto scheme = url.find("://");
    const auto at = url.find('@');
    if (scheme == std::string_view::npos || at == std::string_view::npos || at < scheme) return std::string(url);
    const auto colon = url.find(':', scheme + 3);
    if (colon == std::string_view::npos || colon > at) return std::string(url);
    return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

}  // namespace redred::store::postgres
